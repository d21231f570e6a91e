/** Text as a file-name part: letters, digits, '.', '_' and '-' stay, every other run becomes one '_'. */
export function fileNamePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

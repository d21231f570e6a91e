// `npm run browser`: makes sure Debian's Chromium is installed, for the dashboard's browser test. The test calls
// ensureChromium() itself, so a fresh machine needs no step of its own; this script is for a look by hand.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where Debian's `chromium` package puts the browser; `WEIR_CHROMIUM` names another. */
export const CHROMIUM = process.env['WEIR_CHROMIUM'] ?? '/usr/bin/chromium';

/** Output kept of a failed apt-get, in the error that says why there is no browser. */
const KEPT_OUTPUT = 2_000;

function aptGet(args: readonly string[]): void {
  try {
    execFileSync('apt-get', args, { stdio: 'pipe', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stderr, stdout, message } = error as { stderr?: Buffer; stdout?: Buffer; message: string };
    const output = `${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`.trim().slice(-KEPT_OUTPUT);
    throw new Error(`cannot install Chromium: apt-get ${args.join(' ')} failed: ${output || message}`);
  }
}

/**
 * The path of a Chromium to drive: the one installed, or Debian's `chromium` package installed now with apt-get (as
 * root, the way CI runs). Throws with the reason when there is none and it cannot be installed.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.env['WEIR_CHROMIUM'] !== undefined) throw new Error(`WEIR_CHROMIUM names ${CHROMIUM}, which does not exist`);
  if (process.getuid?.() !== 0) throw new Error(`no Chromium at ${CHROMIUM}, and only root can install it: run \`sudo apt-get install chromium\` (Debian's package)`);
  aptGet(['update', '-q']);
  aptGet(['install', '-y', '-q', '--no-install-recommends', 'chromium']);
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is not there`);
  return CHROMIUM;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`Chromium: ${ensureChromium()}\n`);
}

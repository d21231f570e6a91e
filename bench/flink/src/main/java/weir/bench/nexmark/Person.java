package weir.bench.nexmark;

/** A Nexmark person (bench/nexmark/model.ts). A Flink POJO: public no-arg constructor and public fields. */
public class Person {
  public long id;
  public String name;
  public String emailAddress;
  public String creditCard;
  public String city;
  public String state;
  public long dateTime;
  public String extra;

  public Person() {}

  public Person(long id, String name, String emailAddress, String creditCard, String city, String state, long dateTime, String extra) {
    this.id = id;
    this.name = name;
    this.emailAddress = emailAddress;
    this.creditCard = creditCard;
    this.city = city;
    this.state = state;
    this.dateTime = dateTime;
    this.extra = extra;
  }

  /** JSON.stringify's output for the TypeScript object (same key order; strings need no escaping). */
  public String toJson() {
    return "{\"kind\":\"person\",\"id\":" + id + ",\"name\":\"" + name + "\",\"emailAddress\":\"" + emailAddress
        + "\",\"creditCard\":\"" + creditCard + "\",\"city\":\"" + city + "\",\"state\":\"" + state
        + "\",\"dateTime\":" + dateTime + ",\"extra\":\"" + extra + "\"}";
  }
}

# Flume's published IDL, as in flume-ng-sdk/src/main/thrift/flume.thrift (Apache Flume 1.11.0,
# Apache License 2.0); see docs/flume-facts.md, "The Thrift sink".

namespace java org.apache.flume.thrift

struct ThriftFlumeEvent {
  1: required map <string, string> headers,
  2: required binary body,
}

enum Status {
  OK,
  FAILED,
  ERROR,
  UNKNOWN
}

service ThriftSourceProtocol {
  Status append(1: ThriftFlumeEvent event),
  Status appendBatch(1: list<ThriftFlumeEvent> events),
}

#!/bin/sh
# As in Kafka's distribution: kafka.Kafka with the given server.properties (heap KAFKA_HEAP_OPTS, 512 MB by default).
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms512m}"
exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"

#!/bin/sh
# kafka-run-class.sh CLASS ARGS: a JVM on the broker jars (Kafka's own script, reduced).
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_OPTS:-} \
  -Dlog4j.configuration="${KAFKA_LOG4J_OPTS_FILE:-file:/opt/kafka/config/log4j.properties}" \
  -cp '/opt/kafka/libs/*' "$@"

#!/bin/sh
# As in Kafka's distribution: kafka.admin.ConfigCommand.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"

#!/bin/sh
# As in Kafka's distribution: kafka.admin.BrokerApiVersionsCommand.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.admin.BrokerApiVersionsCommand "$@"

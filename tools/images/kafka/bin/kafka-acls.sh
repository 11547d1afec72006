#!/bin/sh
# As in Kafka's distribution: kafka.admin.AclCommand.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.admin.AclCommand "$@"

#!/usr/bin/env bash
# An integration suite on Postgres and Kafka started by testcontainers (issue #12), the path
# libs/testing/src/infra.ts takes when no DATABASE_URL / KAFKA_BROKERS is given: the local Docker engine
# and its images (scripts/images.sh builds and starts them where no registry answers; nothing is built
# when they are present), Ryuk disabled when its image is missing, the containers removed by the jest
# teardown. `npm test` keeps using the services of the environment.
#   scripts/test-containers.sh [jest args]     default: libs/messaging's messaging.int-spec.ts
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
bash scripts/images.sh build
# Nothing of the developer's stack: the tests must get both services from testcontainers, unsecured.
unset DATABASE_URL KAFKA_BROKERS SLIDECHARGE_MIGRATED KAFKA_SASL_MECHANISM KAFKA_SASL_USERNAME KAFKA_SASL_PASSWORD \
  KAFKA_SASL_PASSWORD_FILE KAFKA_TLS KAFKA_TLS_CA_FILE KAFKA_TLS_CERT_FILE KAFKA_TLS_KEY_FILE
export KAFKAJS_NO_PARTITIONER_WARNING=1
if [ "$#" -eq 0 ]; then set -- -c libs/messaging/jest.integration.config.ts --testPathPatterns=messaging.int-spec; fi
npx jest -i "$@"
left="$(docker ps -aq --filter label=slidecharge.test-infra.pid)"
if [ -n "$left" ]; then echo "test-containers: containers left behind: $left" >&2; exit 1; fi
echo "test-containers: passed in $(( $(date +%s) - t0 )) s; no container left"

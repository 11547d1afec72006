#!/bin/bash
# The image's default entry point: a single-node KRaft broker (broker and controller in one), with the
# official apache/kafka image's defaults (PLAINTEXT on 9092, controller on 9093) and its convention
# for overrides: each KAFKA_FOO_BAR variable sets foo.bar (one "_" -> ".", "__" -> "_", "___" -> "-").
# CLUSTER_ID names the cluster (random when unset). Storage is formatted on first start.
# docker-compose.yml does not use this: it runs tools/kafka/compose-kafka.sh (SASL_SSL) as entry point.
set -euo pipefail
conf=/var/lib/kafka/server.properties
declare -A props=(
  [process.roles]=broker,controller
  [node.id]=1
  [controller.quorum.voters]=1@localhost:9093
  [listeners]=PLAINTEXT://:9092,CONTROLLER://:9093
  [advertised.listeners]=PLAINTEXT://localhost:9092
  [listener.security.protocol.map]=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
  [controller.listener.names]=CONTROLLER
  [inter.broker.listener.name]=PLAINTEXT
  [log.dirs]=/var/lib/kafka/data
  [num.partitions]=1
  [offsets.topic.replication.factor]=1
  [transaction.state.log.replication.factor]=1
  [transaction.state.log.min.isr]=1
  [group.initial.rebalance.delay.ms]=0
)
while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_LOG4J_OPTS_FILE) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key="${name#KAFKA_}"
  key="${key,,}"
  key="${key//___/-}"
  key="${key//__/@}"
  key="${key//_/.}"
  key="${key//@/_}"
  props[$key]="$value"
done < <(env)
: >"$conf"
for key in "${!props[@]}"; do printf '%s=%s\n' "$key" "${props[$key]}" >>"$conf"; done
if [ ! -f "${props[log.dirs]%%,*}/meta.properties" ]; then
  kafka-storage.sh format -t "${CLUSTER_ID:-$(kafka-storage.sh random-uuid)}" -c "$conf"
fi
exec kafka-server-start.sh "$conf"

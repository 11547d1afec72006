// What a Kafka cluster says about itself, for scripts/kafka.sh quorum|topics. Run from its source by the
// JDK (java -cp 'KAFKA_LIBS/*' ClusterStatus.java BOOTSTRAP ADMIN_PROPERTIES quorum|topics): the broker's
// jars from Maven Central hold the Admin client, but not Kafka's own tools (kafka-tools is another artifact).
//
//   quorum  the active controller (KRaft leader) and each voter's log end offset: the node to kill to
//           test a controller failover; brokers answer it by asking the controllers (DescribeQuorum)
//   topics  one line per partition: leader, replicas, in-sync replicas (internal topics included)
import java.io.FileInputStream;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

public class ClusterStatus {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: ClusterStatus BOOTSTRAP ADMIN_PROPERTIES quorum|topics");
      System.exit(2);
    }
    // The client's warnings about a node that is down would go to stdout, between the answers.
    org.apache.log4j.Logger.getRootLogger().setLevel(org.apache.log4j.Level.ERROR);
    Properties props = new Properties();
    try (FileInputStream in = new FileInputStream(args[1])) {
      props.load(in);
    }
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
    try (Admin admin = Admin.create(props)) {
      if (args[2].equals("quorum")) quorum(admin);
      else if (args[2].equals("topics")) topics(admin);
      else throw new IllegalArgumentException("quorum or topics, not " + args[2]);
    }
  }

  private static void quorum(Admin admin) throws Exception {
    QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get();
    System.out.printf("controller %d (epoch %d, high watermark %d)%n", quorum.leaderId(), quorum.leaderEpoch(), quorum.highWatermark());
    long now = System.currentTimeMillis();
    for (QuorumInfo.ReplicaState voter : quorum.voters()) {
      String fetched = voter.lastFetchTimestamp().isPresent() ? (now - voter.lastFetchTimestamp().getAsLong()) + " ms ago" : "never";
      System.out.printf("voter %d: log end offset %d, last fetch %s%n", voter.replicaId(), voter.logEndOffset(), fetched);
    }
  }

  private static void topics(Admin admin) throws Exception {
    Set<String> names = new TreeSet<>(admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get());
    Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get();
    for (String name : names) {
      for (TopicPartitionInfo p : described.get(name).partitions()) {
        System.out.printf("%s %d leader %s replicas %s isr %s%n", name, p.partition(), p.leader() == null ? "none" : p.leader().idString(),
            ids(p.replicas()), ids(p.isr()));
      }
    }
  }

  private static String ids(java.util.List<Node> nodes) {
    return nodes.stream().map(Node::idString).collect(Collectors.joining(","));
  }
}

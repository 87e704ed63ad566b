package codealong;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.server.policy.CreateTopicPolicy;

/**
 * The workshop's partition budget: a learner's topics ("ana.*", and "dlq.ana.*") hold at most
 * codealong.partition.budget partitions in all. Kafka has no such limit of its own; without it one
 * learner's 5,000-partition topic slows the whole room. The controller calls validate() before it
 * creates a topic; the learner's client receives the message as POLICY_VIOLATION.
 *
 * Counting needs the cluster's topics, which a policy is not given: it asks the brokers, as the
 * super user, over the inter-broker listener (the login the controller's own config holds).
 * If they do not answer within COUNT_TIMEOUT_MS the topic is allowed (a room must not stop because
 * of its guard) and the controller's log says so. Adding partitions to an existing topic is not
 * covered: Kafka calls no policy for it; the controller mutation quota bounds its rate.
 */
public final class PartitionBudgetPolicy implements CreateTopicPolicy {
    static final String BUDGET = "codealong.partition.budget";
    static final String BOOTSTRAP = "codealong.policy.bootstrap";
    static final String LOGIN = "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config";
    static final int COUNT_TIMEOUT_MS = 3000;

    private int budget;
    private Properties adminConfig;
    private Admin admin;

    @Override
    public void configure(Map<String, ?> configs) {
        budget = Integer.parseInt(String.valueOf(configs.get(BUDGET)).trim());
        adminConfig = new Properties();
        adminConfig.put("bootstrap.servers", String.valueOf(configs.get(BOOTSTRAP)));
        adminConfig.put("security.protocol", "SASL_PLAINTEXT");
        adminConfig.put("sasl.mechanism", "SCRAM-SHA-256");
        adminConfig.put("sasl.jaas.config", String.valueOf(configs.get(LOGIN)));
        adminConfig.put("client.id", "codealong-partition-budget");
        adminConfig.put("request.timeout.ms", String.valueOf(COUNT_TIMEOUT_MS));
        adminConfig.put("default.api.timeout.ms", String.valueOf(COUNT_TIMEOUT_MS));
    }

    /** The learner a topic belongs to: "ana" for "ana.orders" and "dlq.ana.orders"; null otherwise. */
    static String owner(String topic) {
        String name = topic.startsWith("dlq.") ? topic.substring(4) : topic;
        int dot = name.indexOf('.');
        if (dot <= 0 || name.startsWith("_") || name.startsWith("workshop.")) {
            return null;
        }
        return name.substring(0, dot);
    }

    @Override
    public void validate(RequestMetadata request) throws PolicyViolationException {
        String learner = owner(request.topic());
        if (learner == null) {
            return;
        }
        int asked = request.numPartitions() != null ? request.numPartitions() : request.replicasAssignments().size();
        Integer used = partitionsOf(learner);
        if (asked > budget || (used != null && used + asked > budget)) {
            throw refusal(request.topic(), asked, learner, used);
        }
    }

    private PolicyViolationException refusal(String topic, int asked, String learner, Integer used) {
        String held = used == null ? "" : String.format("%s's topics hold %d and ", learner, used);
        return new PolicyViolationException(String.format(
            "Topic '%s' asks for %d partition(s); %sthe workshop's partition budget is %d per learner. Use fewer "
            + "partitions, or delete topics you no longer need (or ask the instructor: `codealong workshop reset %s`).",
            topic, asked, held, budget, learner));
    }

    /** Partitions held by the learner's topics, or null if the brokers did not answer in time. */
    private synchronized Integer partitionsOf(String learner) {
        try {
            if (admin == null) {
                admin = Admin.create(adminConfig);
            }
            Set<String> theirs = admin.listTopics().names().get(COUNT_TIMEOUT_MS, TimeUnit.MILLISECONDS).stream()
                .filter(name -> learner.equals(owner(name))).collect(Collectors.toSet());
            if (theirs.isEmpty()) {
                return 0;
            }
            long until = System.currentTimeMillis() + COUNT_TIMEOUT_MS;
            int partitions = 0;
            for (KafkaFuture<TopicDescription> described : admin.describeTopics(theirs).topicNameValues().values()) {
                try {
                    partitions += described.get(Math.max(1, until - System.currentTimeMillis()), TimeUnit.MILLISECONDS)
                        .partitions().size();
                } catch (ExecutionException gone) {
                    if (!(gone.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw gone;
                    }  // deleted since it was listed: it holds nothing
                }
            }
            return partitions;
        } catch (Exception error) {
            System.err.println("codealong partition budget: could not count " + learner + "'s partitions ("
                + error + "); the topic is allowed.");
            return null;
        }
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
    }
}

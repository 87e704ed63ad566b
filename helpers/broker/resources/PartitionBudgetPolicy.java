package codealong;

import java.util.HashMap;
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
 * super user, over the inter-broker listener (the login the controller's own config holds), within
 * COUNT_TIMEOUT_MS in all (validate() runs on the controller's one event thread: everything else
 * the controller does waits meanwhile). Kafka checks every topic of a request before it writes any,
 * so the brokers cannot list what this policy approved a moment ago: it remembers those approvals
 * (PENDING_MS) and counts them too. If the brokers do not answer in time, only the approvals it
 * remembers count (a room must not stop because of its guard) and the controller's log says so.
 * Adding partitions to an existing topic is not covered: Kafka calls no policy for it.
 */
public final class PartitionBudgetPolicy implements CreateTopicPolicy {
    static final String BUDGET = "codealong.partition.budget";
    static final String BOOTSTRAP = "codealong.policy.bootstrap";
    static final String LOGIN = "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config";
    static final int COUNT_TIMEOUT_MS = 1500;
    static final long PENDING_MS = 10_000;

    /** A topic this policy approved, until the brokers list it (or PENDING_MS passed). */
    private record Approved(String learner, int partitions, long at) { }

    private final Map<String, Approved> approved = new HashMap<>();
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
    public synchronized void validate(RequestMetadata request) throws PolicyViolationException {
        String learner = owner(request.topic());
        if (learner == null) {
            return;
        }
        int asked = request.numPartitions() != null ? request.numPartitions() : request.replicasAssignments().size();
        if (asked > budget) {
            throw refusal(request.topic(), asked, learner, null);
        }
        approved.remove(request.topic());  // asked again: the earlier one is gone, or this one will fail as a duplicate
        Integer held = partitionsOf(learner);  // the brokers' count, or null
        int used = (held == null ? 0 : held) + pendingOf(learner);
        if (used + asked > budget) {
            throw refusal(request.topic(), asked, learner, used);
        }
        approved.put(request.topic(), new Approved(learner, asked, System.currentTimeMillis()));
    }

    private PolicyViolationException refusal(String topic, int asked, String learner, Integer used) {
        String held = used == null ? "" : String.format("%s's topics hold %d and ", learner, used);
        return new PolicyViolationException(String.format(
            "Topic '%s' asks for %d partition(s); %sthe workshop's partition budget is %d per learner. Use fewer "
            + "partitions, or delete topics you no longer need (or ask the instructor: `codealong workshop reset %s`).",
            topic, asked, held, budget, learner));
    }

    private int pendingOf(String learner) {
        long now = System.currentTimeMillis();
        approved.values().removeIf(entry -> now - entry.at() > PENDING_MS);
        return approved.values().stream().filter(entry -> entry.learner().equals(learner))
            .mapToInt(Approved::partitions).sum();
    }

    /** Partitions of the learner's topics the brokers list (forgetting approvals they now list),
     * or null if they did not answer within COUNT_TIMEOUT_MS. */
    private Integer partitionsOf(String learner) {
        long until = System.currentTimeMillis() + COUNT_TIMEOUT_MS;
        try {
            if (admin == null) {
                admin = Admin.create(adminConfig);
            }
            Set<String> listed = admin.listTopics().names().get(COUNT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            approved.keySet().removeAll(listed);
            Set<String> theirs = listed.stream().filter(name -> learner.equals(owner(name))).collect(Collectors.toSet());
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
                + error + "); only the approvals of the last " + PENDING_MS / 1000 + " s count.");
            return null;
        }
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close();
        }
    }
}

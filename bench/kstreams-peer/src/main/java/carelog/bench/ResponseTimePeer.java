package carelog.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The response-time fold of carelog's 7/30/90-day table, as a user would
 * write it with Kafka Streams: per (seller, thread) the received messages
 * waiting for a reply, per (seller, day) the received count, the answered
 * count and the sum of response times; a seller's reply answers every
 * earlier waiting message of its thread. Two RocksDB stores with changelog
 * topics, exactly-once v2. Every other event is read, parsed and skipped.
 *
 * Usage: ResponseTimePeer BROKERS TOPIC APPLICATION_ID EXPECTED_RECORDS STATE_DIR
 * Runs until EXPECTED_RECORDS records were processed, then prints one line:
 * "records N seconds S first_to_last_seconds F".
 */
public final class ResponseTimePeer {
  static final AtomicLong processed = new AtomicLong();
  static volatile long firstNanos = 0;

  static final class Fold implements Processor<String, String, Void, Void> {
    private final ObjectMapper mapper = new ObjectMapper();
    private KeyValueStore<String, byte[]> threads;
    private KeyValueStore<String, byte[]> days;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      threads = context.getStateStore("threads");
      days = context.getStateStore("days");
    }

    @Override
    public void process(Record<String, String> record) {
      if (processed.getAndIncrement() == 0) firstNanos = System.nanoTime();
      final JsonNode e;
      try {
        e = mapper.readTree(record.value());
      } catch (Exception ex) {
        return;
      }
      final String type = e.path("type").asText();
      if (!type.equals("message.received") && !type.equals("message.sent")) return;
      final String seller = e.path("seller_id").asText();
      final JsonNode d = e.path("data");
      final long at = micros(e.path("occurred_at").asText());
      final String threadKey = seller + '\0' + d.path("thread_id").asText();
      if (type.equals("message.received")) {
        if (d.path("auto_reply").asBoolean(false)) return;
        final byte[] old = threads.get(threadKey);
        final ByteBuffer waiting = ByteBuffer.allocate((old == null ? 0 : old.length) + 8);
        if (old != null) waiting.put(old);
        waiting.putLong(at);
        threads.put(threadKey, waiting.array());
        add(seller, at, 1, 0, 0);
      } else if (d.path("sender").asText("seller").equals("seller")) {
        final byte[] old = threads.get(threadKey);
        if (old == null) return;
        final ByteBuffer in = ByteBuffer.wrap(old);
        final ByteBuffer left = ByteBuffer.allocate(old.length);
        while (in.hasRemaining()) {
          final long received = in.getLong();
          if (received <= at) {
            add(seller, received, 0, 1, at - received);
          } else {
            left.putLong(received);
          }
        }
        if (left.position() == 0) {
          threads.delete(threadKey);
        } else {
          final byte[] rest = new byte[left.position()];
          left.flip();
          left.get(rest);
          threads.put(threadKey, rest);
        }
      }
    }

    private void add(String seller, long at, long received, long answered, long responseMicros) {
      final String key = seller + '\0' + Math.floorDiv(at, 86_400_000_000L);
      final byte[] old = days.get(key);
      final ByteBuffer b = old == null ? ByteBuffer.allocate(24) : ByteBuffer.wrap(old);
      final long r = b.getLong(0) + received, a = b.getLong(8) + answered, t = b.getLong(16) + responseMicros;
      days.put(key, ByteBuffer.allocate(24).putLong(r).putLong(a).putLong(t).array());
    }

    private static long micros(String rfc3339) {
      final OffsetDateTime t = OffsetDateTime.parse(rfc3339);
      return t.toEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: ResponseTimePeer BROKERS TOPIC APPLICATION_ID EXPECTED_RECORDS STATE_DIR");
      System.exit(2);
    }
    final long started = System.nanoTime();
    final long expected = Long.parseLong(args[3]);
    final Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[2]);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);  // the machine's 2 cores, as carelog uses
    p.put(StreamsConfig.STATE_DIR_CONFIG, args[4]);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    Files.createDirectories(Path.of(args[4]));

    final StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore("threads"), Serdes.String(), Serdes.ByteArray()));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore("days"), Serdes.String(), Serdes.ByteArray()));
    builder.stream(args[1], Consumed.with(Serdes.String(), Serdes.String()))
        .process(Fold::new, "threads", "days");

    final KafkaStreams streams = new KafkaStreams(builder.build(), p);
    streams.start();
    while (processed.get() < expected) {
      if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
        System.err.println("streams stopped in state " + streams.state());
        System.exit(1);
      }
      Thread.sleep(50);
    }
    final long done = System.nanoTime();
    streams.close();
    System.out.printf("records %d seconds %.3f first_to_last_seconds %.3f%n", processed.get(),
        (done - started) / 1e9, (done - firstNanos) / 1e9);
  }
}

#include "connectors/command_producer.h"

#include <csignal>
#include <future>

#include "engine/failure_probe.h"

namespace carelog {
namespace {

// One record's delivery report, awaited by the thread that produced it.
struct Delivery {
  std::promise<rd_kafka_resp_err_t> done;
};

}  // namespace

void CommandProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  // The record holds a reference to its Delivery until its report.
  auto* held = static_cast<std::shared_ptr<Delivery>*>(m->_private);
  if (!held) return;
  (*held)->done.set_value(m->err);
  delete held;
}

Status CommandProducer::create(const std::string& brokers,
                               const std::map<std::string, std::string>& props,
                               const std::string& topic, std::chrono::milliseconds timeout,
                               std::unique_ptr<CommandProducer>& out) {
  std::unique_ptr<CommandProducer> p(new CommandProducer());
  p->topic_ = topic;
  p->timeout_ = timeout;
  KafkaConf conf;
  Status st = make_kafka_conf(brokers, props,
                              {{"enable.idempotence", "true"},
                               {"acks", "all"},
                               {"partitioner", "murmur2_random"},
                               {"message.timeout.ms", std::to_string(timeout.count())}},
                              conf, {{"linger.ms", "0"}});
  if (!st.ok()) return st;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &CommandProducer::on_delivery);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err);
  if (!rk) return Status::Error(std::string("command producer: ") + err);
  conf.release();
  p->rk_.reset(rk);
  CommandProducer* self = p.get();
  p->poller_ = std::thread([self] {
    while (!self->stop_.load()) rd_kafka_poll(self->rk_.get(), 100);
  });
  out = std::move(p);
  return Status::Ok();
}

CommandProducer::~CommandProducer() {
  if (rk_) rd_kafka_flush(rk_.get(), static_cast<int>(timeout_.count()));
  stop_.store(true);
  if (poller_.joinable()) poller_.join();
}

Status CommandProducer::produce(const std::string& seller_id, const std::string& envelope) {
  auto delivery = std::make_shared<Delivery>();
  std::future<rd_kafka_resp_err_t> done = delivery->done.get_future();
  auto held = std::make_unique<std::shared_ptr<Delivery>>(delivery);
  rd_kafka_resp_err_t e = rd_kafka_producev(
      rk_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
      RD_KAFKA_V_VALUE(const_cast<char*>(envelope.data()), envelope.size()),
      RD_KAFKA_V_KEY(seller_id.data(), seller_id.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_OPAQUE(held.get()), RD_KAFKA_V_END);
  if (e) return Status::Error("produce to " + topic_ + ": " + rd_kafka_err2str(e));
  (void)held.release();  // (the delivery report frees it)
  // The report comes within message.timeout.ms (librdkafka fails the record
  // then); the margin covers the poll interval.
  if (done.wait_for(timeout_ + std::chrono::seconds(2)) != std::future_status::ready) {
    return Status::Error("the broker did not acknowledge within " +
                         std::to_string(timeout_.count()) + " ms");
  }
  e = done.get();
  if (e) return Status::Error("produce to " + topic_ + ": " + rd_kafka_err2str(e));
  // A test's way to kill the engine between the produce and the append.
  if (failure_probe::fires("command.produced")) std::raise(SIGKILL);
  return Status::Ok();
}

}  // namespace carelog

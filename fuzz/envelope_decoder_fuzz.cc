// libFuzzer target: any bytes into the envelope decoder (with and without a
// record key). It must never crash, leak or read out of bounds; whatever it
// accepts must round-trip through the JSON encoder and the binary log codec.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "events/json_decoder.h"
#include "events/json_encoder.h"
#include "events/log_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static carelog::JsonDecoder decoder;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto with_key = decoder.decode(bytes, std::string_view("A2SELLER0001"));
  auto result = decoder.decode(bytes);
  if (!result.ok()) return 0;
  const carelog::Event& e = result.value();
  auto again = decoder.decode(carelog::encode_json(e));
  if (!again.ok() || !(again.value() == e)) std::abort();
  auto binary = carelog::decode_binary(carelog::encode_binary(e));
  if (!binary.ok() || !(binary.value() == e)) std::abort();
  (void)with_key;
  return 0;
}

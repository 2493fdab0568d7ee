#pragma once
/// \file
/// Key samples drawn on the Redis server: a Lua script lists one `SCAN`
/// page, hashes each key (`key_sample_hash`: MD5, written in Lua, since
/// Redis's Lua has no MD5) and sends back only the keys whose hash lies in
/// a range, so a sample of `n` keys reads about `n` keys instead of every
/// key; `redis_sampling::draw` chooses the ranges.
///
/// Cost: Lua's MD5 takes about 11 µs of the server's time per key (a `SCAN`
/// about 1 µs), in calls of `redis_options::sample_page` keys (100: about
/// 1 ms each) between which other clients' commands run; a pass that only
/// counts takes ten times as many keys per call.

#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/reconcile/key_sample.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace dualstore::adapters::redis_sampling {

/// The script. ARGV: cursor, `MATCH` pattern, `COUNT`, prefix length, then
/// either nothing (the page is only counted) or the salt (8 bytes,
/// big-endian) and the range: lower bound (exclusive) and upper bound
/// (inclusive), each as its high and low 32 bits in decimal (a lower high
/// half of -1: no lower bound). Returns the next cursor, the number of keys
/// the page listed, and for each key in the range its hash (16 hex digits)
/// and the key without the prefix.
///
/// MD5 as in RFC 1321, with the sums left unreduced (below 2^40, exact in a
/// double): the `bit` library's operations reduce their arguments mod 2^32.
/// Hashes are compared as numbers, not as strings (Lua compares strings by
/// the server's locale).
inline constexpr std::string_view script = R"lua(
local band, bor, bxor, bnot, rol = bit.band, bit.bor, bit.bxor, bit.bnot, bit.rol
local byte, char, floor = string.byte, string.char, math.floor
local K = {}
for i = 1, 64 do K[i] = floor(math.abs(math.sin(i)) * 4294967296) end
local X = {}
local function u32(x) return bit.tobit(x) % 4294967296 end
-- The first 8 bytes of MD5(m), big-endian: two unsigned 32-bit halves.
local function md5_prefix(m)
  local bits = #m * 8
  m = m .. '\128' .. string.rep('\0', (55 - #m) % 64) ..
      char(bits % 256, floor(bits / 256) % 256, floor(bits / 65536) % 256,
           floor(bits / 16777216) % 256, floor(bits / 4294967296) % 256, 0, 0, 0)
  local a0, b0, c0, d0 = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
  for at = 1, #m, 64 do
    for j = 0, 15 do
      local p1, p2, p3, p4 = byte(m, at + 4 * j, at + 4 * j + 3)
      X[j] = p1 + p2 * 256 + p3 * 65536 + p4 * 16777216
    end
    local a, b, c, d = a0, b0, c0, d0
    for i = 0, 15, 4 do
      a = b + rol(a + bxor(d, band(b, bxor(c, d))) + K[i + 1] + X[i], 7)
      d = a + rol(d + bxor(c, band(a, bxor(b, c))) + K[i + 2] + X[i + 1], 12)
      c = d + rol(c + bxor(b, band(d, bxor(a, b))) + K[i + 3] + X[i + 2], 17)
      b = c + rol(b + bxor(a, band(c, bxor(d, a))) + K[i + 4] + X[i + 3], 22)
    end
    for i = 16, 31, 4 do
      a = b + rol(a + bxor(c, band(d, bxor(b, c))) + K[i + 1] + X[(5 * i + 1) % 16], 5)
      d = a + rol(d + bxor(b, band(c, bxor(a, b))) + K[i + 2] + X[(5 * i + 6) % 16], 9)
      c = d + rol(c + bxor(a, band(b, bxor(d, a))) + K[i + 3] + X[(5 * i + 11) % 16], 14)
      b = c + rol(b + bxor(d, band(a, bxor(c, d))) + K[i + 4] + X[(5 * i + 16) % 16], 20)
    end
    for i = 32, 47, 4 do
      a = b + rol(a + bxor(b, c, d) + K[i + 1] + X[(3 * i + 5) % 16], 4)
      d = a + rol(d + bxor(a, b, c) + K[i + 2] + X[(3 * i + 8) % 16], 11)
      c = d + rol(c + bxor(d, a, b) + K[i + 3] + X[(3 * i + 11) % 16], 16)
      b = c + rol(b + bxor(c, d, a) + K[i + 4] + X[(3 * i + 14) % 16], 23)
    end
    for i = 48, 63, 4 do
      a = b + rol(a + bxor(c, bor(b, bnot(d))) + K[i + 1] + X[(7 * i) % 16], 6)
      d = a + rol(d + bxor(b, bor(a, bnot(c))) + K[i + 2] + X[(7 * i + 7) % 16], 10)
      c = d + rol(c + bxor(a, bor(d, bnot(b))) + K[i + 3] + X[(7 * i + 14) % 16], 15)
      b = c + rol(b + bxor(d, bor(c, bnot(a))) + K[i + 4] + X[(7 * i + 21) % 16], 21)
    end
    a0, b0, c0, d0 = u32(a0 + a), u32(b0 + b), u32(c0 + c), u32(d0 + d)
  end
  return u32(bit.bswap(a0)), u32(bit.bswap(b0))
end
local page = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local keys = page[2]
local out = {page[1], #keys}
if #ARGV > 4 then
  local skip, salt = tonumber(ARGV[4]), ARGV[5]
  local lo_hi, lo_lo = tonumber(ARGV[6]), tonumber(ARGV[7])
  local up_hi, up_lo = tonumber(ARGV[8]), tonumber(ARGV[9])
  for i = 1, #keys do
    local key = string.sub(keys[i], skip + 1)
    local hi, lo = md5_prefix(salt .. key)
    if (hi > lo_hi or (hi == lo_hi and lo > lo_lo)) and
       (hi < up_hi or (hi == up_hi and lo <= up_lo)) then
      out[#out + 1] = bit.tohex(hi, 8) .. bit.tohex(lo, 8)
      out[#out + 1] = key
    end
  end
end
return out
)lua";

/// The upper hash bound under which about `n + 4√n + 8` of `keys` uniformly
/// hashed keys lie: enough for `n` but in one case in tens of thousands;
/// every hash when that is all or most of them.
[[nodiscard]] inline std::uint64_t bound_for(std::size_t n, std::uint64_t keys) {
    const double wanted = static_cast<double>(n) + 4 * std::sqrt(static_cast<double>(n)) + 8;
    if (wanted * 2 >= static_cast<double>(keys)) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(wanted / static_cast<double>(keys) * 18446744073709551616.0);
}

/// The `n` keys of smallest `key_sample_hash` under `salt`, from passes
/// over the store: `pass(above, upper, offer)` lists every key once, calls
/// `offer(hash, key)` for each whose hash is above `above` (when set) and
/// at most `upper`, and returns how many keys it listed. The first pass's
/// range is sized by `keys` (the count of a pass before); a pass that finds
/// fewer than `n` (keys deleted meanwhile, or chance) is followed by one
/// over the next range up, at least twice as wide, until `n` are found or
/// the range reaches the largest hash. `keys` in the result: the keys the
/// last pass listed, or exact when the first pass offered every key.
template <class Pass>
[[nodiscard]] key_hash_sample draw(std::uint64_t salt, std::size_t n, std::uint64_t keys,
                                   Pass pass) {
    constexpr auto top = std::numeric_limits<std::uint64_t>::max();
    dualstore::detail::key_sample_builder sample(salt, n);
    std::optional<std::uint64_t> above;
    std::uint64_t upper = bound_for(n, keys);
    for (;;) {
        const std::uint64_t listed =
            pass(above, upper,
                 [&](std::uint64_t hash, std::string_view key) { sample.offer(hash, key); });
        if (sample.size() >= n || upper == top) {
            const bool offered_every_key = !above && upper == top;
            auto done = std::move(sample).done();
            if (!offered_every_key) done.keys = listed;
            return done;
        }
        above = upper;
        upper = std::max(bound_for(n, listed), upper > top / 2 ? top : upper * 2);
    }
}

}  // namespace dualstore::adapters::redis_sampling

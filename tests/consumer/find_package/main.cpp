// The smallest program a user writes against dualstore; shared by the
// find_package, add_subdirectory and pkg-config consumer tests.
#include <dualstore/dualstore.hpp>

#include <fmt/format.h>

#include <exception>
#include <map>
#include <optional>
#include <string>

namespace {

struct tiny_store {
    using key_type = std::string;
    using mapped_type = std::string;

    std::optional<std::string> get(const std::string& k) const {
        auto it = data.find(k);
        if (it == data.end()) return std::nullopt;
        return it->second;
    }
    void put(const std::string& k, const std::string& v) { data[k] = v; }
    bool erase(const std::string& k) { return data.erase(k) != 0; }

    std::map<std::string, std::string> data;
};

static_assert(dualstore::kv_store<tiny_store>);

}  // namespace

int main() {
    tiny_store s;
    s.put("k", "v");
    if (s.get("k") != "v") return 1;

    try {
        throw dualstore::not_configured("consumer check");
    } catch (const dualstore::error& e) {
        fmt::print("dualstore consumer ok: {}\n", e.what());
        return 0;
    }
    return 1;
}

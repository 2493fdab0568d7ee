// A repository-style migration between two schemas.
//
// The old store keeps each order as one document (a JSON-like string under
// "order:<id>"); the new one keeps a normalised row under the numeric id.
// Generic operations, written once per side with `overloaded`, translate
// between them; shadow reads compare the two shapes with a comparator that
// understands both.

#include <dualstore/dualstore.hpp>
#include <dualstore/testing/counting_observer.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace ds = dualstore;

/// The new schema.
struct order_row {
    int id = 0;
    std::string item;
    int quantity = 0;
    friend bool operator==(const order_row&, const order_row&) = default;
};

/// What the application works with.
struct order {
    int id;
    std::string item;
    int quantity;
};

using document_store = ds::testing::memory_store<std::string, std::string>;
using row_store = ds::testing::memory_store<int, order_row>;

std::string to_document(const order& o) {
    return fmt::format(R"({{"id":{},"item":"{}","qty":{}}})", o.id, o.item, o.quantity);
}

/// The row a document describes (enough parsing for this example's documents).
std::optional<order_row> parse(const std::string& doc) {
    order_row row;
    char item[64] = {};
    if (std::sscanf(doc.c_str(), R"({"id":%d,"item":"%63[^"]","qty":%d})", &row.id, item, &row.quantity) != 3) {
        return std::nullopt;
    }
    row.item = item;
    return row;
}

/// Saves `o` in either schema.
auto save(const order& o) {
    return ds::overloaded{
        [o](document_store& s) { s.put(fmt::format("order:{}", o.id), to_document(o)); },
        [o](row_store& s) { s.put(o.id, order_row{o.id, o.item, o.quantity}); }};
}

/// Loads order `id` from either schema, as a row.
auto load(int id) {
    return ds::overloaded{
        [id](document_store& s) -> std::optional<order_row> {
            const auto doc = s.get(fmt::format("order:{}", id));
            return doc ? parse(*doc) : std::nullopt;
        },
        [id](row_store& s) { return s.get(id); }};
}

int main() {
    document_store documents;
    row_store rows;
    ds::testing::counting_observer observer;
    ds::memory_retry_queue failed_writes;  // order ids whose row write failed, for the drain
    ds::dual_store repository{documents, rows, ds::read::shadow{}, ds::observe::with(observer),
                              ds::on_secondary_failure{failed_writes}};

    repository.write(1, save({1, "widget", 2}));
    repository.write(2, save({2, "gadget", 5}));
    rows.put(2, order_row{2, "gadget", 50});  // drift in the new schema

    for (const int id : {1, 2}) {
        const auto row = repository.read(id, load(id));
        fmt::print("order {}: {} x {} (from the documents)\n", id, row->quantity, row->item);
    }
    fmt::print("shadow mismatches: {} (order 2's quantity differs)\n", observer.mismatches.load());
    fmt::print("documents: {}\n", documents.get("order:1").value_or("<none>"));
    return observer.mismatches == 1 ? EXIT_SUCCESS : EXIT_FAILURE;
}

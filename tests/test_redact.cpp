// redact_secrets: the password of every address form is hidden, and
// nothing else changes.

#include <catch2/catch.hpp>

#include <dualstore/redact.hpp>

using dualstore::redact_secrets;

TEST_CASE("redact_secrets hides the password of a URL's user information", "[redact]") {
    CHECK(redact_secrets("redis://:hunter2@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0");
    CHECK(redact_secrets("redis://me:hunter2@host") == "redis://me:***@host");
    CHECK(redact_secrets("postgresql://me:hunter2@host:5432/db?sslmode=off") ==
          "postgresql://me:***@host:5432/db?sslmode=off");
    // An unescaped '/' or '@' in the password: all of it is still hidden.
    CHECK(redact_secrets("redis://me:hun/ter@2@host/1") == "redis://me:***@host/1");
    // No password: unchanged.
    CHECK(redact_secrets("redis://me@host:1/2") == "redis://me@host:1/2");
    CHECK(redact_secrets("redis://host:6379") == "redis://host:6379");
    CHECK(redact_secrets("unix:///tmp/redis.sock?db=2") == "unix:///tmp/redis.sock?db=2");
}

TEST_CASE("redact_secrets hides password= parameters", "[redact]") {
    CHECK(redact_secrets("host=h password=hunter2 port=5432") == "host=h password=*** port=5432");
    CHECK(redact_secrets("host=h password = 'hunter 2\\' x' port=5432") ==
          "host=h password = *** port=5432");
    CHECK(redact_secrets("password=hunter2") == "password=***");
    CHECK(redact_secrets("unix:///s.sock?db=2&password=hunter2&user=u") ==
          "unix:///s.sock?db=2&password=***&user=u");
    // Only the keyword itself: other words containing it are left alone.
    CHECK(redact_secrets("host=h my_password=x") == "host=h my_password=x");
    CHECK(redact_secrets("passwordless=1") == "passwordless=1");
}

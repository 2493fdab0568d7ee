#pragma once
/// \file
/// How a wrapper keeps a backend: by reference when it was given an lvalue,
/// by value when it was given an rvalue (and so owns it).

#include <memory>
#include <type_traits>
#include <utility>

namespace dualstore::detail {

/// Holds a `T`: `holder<T&>` refers to an object that outlives it,
/// `holder<T>` owns one. `get()` gives the object either way.
template <class T>
class holder {
public:
    template <class... Args>
    requires std::constructible_from<T, Args&&...>
    explicit holder(std::in_place_t, Args&&... args) : value_(std::forward<Args>(args)...) {}

    T& get() noexcept { return value_; }
    const T& get() const noexcept { return value_; }

private:
    T value_;
};

template <class T>
class holder<T&> {
public:
    explicit holder(std::in_place_t, T& ref) noexcept : ptr_(std::addressof(ref)) {}

    T& get() const noexcept { return *ptr_; }

private:
    T* ptr_;
};

/// The template argument a wrapper deduces from a constructor argument of
/// type `Arg&&`: `T&` for an lvalue (held), `T` for an rvalue (owned).
template <class Arg>
using held_t = std::conditional_t<std::is_lvalue_reference_v<Arg>, Arg, std::remove_cvref_t<Arg>>;

}  // namespace dualstore::detail

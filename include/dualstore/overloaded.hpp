#pragma once
/// \file
/// `overloaded{f, g, ...}`: one callable made of several, for operations on
/// two stores of different types.

namespace dualstore {

/// A callable whose overload set is that of all the given callables.
template <class... Fs>
struct overloaded : Fs... {
    using Fs::operator()...;
};

template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

}  // namespace dualstore

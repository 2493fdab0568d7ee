// Compiled only to build the precompiled Catch header the test executables reuse.

/* A dependency of ftneeds.c: built as libftdep.so.1, then kept out of the loader's path so
 * that loading libftneeds.so fails with "libftdep.so.1: cannot open shared object file". */
int ftdep_value(void) { return 42; }

/* Links against libftdep.so.1, which the loader cannot find: a missing dependency. */
int ftdep_value(void);
__attribute__((visibility("default"))) int ftneeds_value(void) { return ftdep_value(); }

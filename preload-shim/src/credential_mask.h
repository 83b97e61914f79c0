/* Credentials masked before an option string or a mount source reaches stderr. The rule is
 * written out at the top of test-vectors/credential-masking.tsv and shared with mounterd
 * (io.mounter.policy.CredentialMask) and kubelet-mounter; test_credential_mask checks this
 * code against that file. In short: the value of every key= whose key is, or ends after a
 * non-alphanumeric character in, password passwd pass secret secretfile credentials key
 * token auth sshfs_password (ASCII case-insensitive) becomes <masked>, to the next comma
 * outside double quotes; the password of a source's user:password@ becomes <masked>.
 *
 * Both functions are pure: no allocation, no locale, no globals, safe in any thread and in
 * the shim. A NULL in is "". They write at most cap bytes to out, NUL-terminated when
 * cap > 0, and return the length of the whole masked text, as snprintf does: a result
 * >= cap means out holds only its beginning (which, like the whole, reveals no secret). */
#ifndef CREDENTIAL_MASK_H
#define CREDENTIAL_MASK_H

#include <stddef.h>

#define CREDENTIAL_MASK "<masked>"

size_t mask_options(const char *in, char *out, size_t cap);
size_t mask_source(const char *in, char *out, size_t cap);

#endif

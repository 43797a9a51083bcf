/* Core: status codes, error slots, version, options and the context. */
#include <stdint.h>

#include "harness.h"

START_TEST(status_strings_cover_every_code)
{
    for (int s = -16; s <= 1; s++) {
        ck_assert_ptr_nonnull(mech_status_str(s));
        ck_assert_str_ne(mech_status_name(s), "MECH_UNKNOWN");
    }
    ck_assert_str_eq(mech_status_name(MECH_EDIVERGED), "MECH_EDIVERGED");
    ck_assert_str_eq(mech_status_name(12345), "MECH_UNKNOWN");
    ck_assert_str_eq(mech_status_str(12345), "unknown status");
}
END_TEST

START_TEST(version_matches_headers)
{
    ck_assert_int_eq(mech_version(), MECH_VERSION_NUMBER);
    ck_assert_str_eq(mech_version_string(), MECH_VERSION_STRING);
    ck_assert_int_gt(strlen(mech_blis_version()), 0);
}
END_TEST

START_TEST(ctx_defaults_and_setters)
{
    mech_ctx *c = NULL;
    ck_assert_ok(mech_ctx_create(&c));
    int64_t v = -1;
    ck_assert_ok(mech_ctx_get_i64(c, MECH_CTX_THREADS, &v));
    ck_assert_int_eq(v, 1);
    ck_assert_ok(mech_ctx_get_i64(c, MECH_CTX_SEED, &v));
    ck_assert_int_eq(v, 0);
    ck_assert_ok(mech_ctx_set_i64(c, MECH_CTX_THREADS, 2));
    ck_assert_ok(mech_ctx_get_i64(c, MECH_CTX_THREADS, &v));
    ck_assert_int_eq(v, 2);
    ck_assert_ok(mech_ctx_set_i64(c, MECH_CTX_SEED, INT64_C(1234567890123)));
    ck_assert_ok(mech_ctx_get_i64(c, MECH_CTX_SEED, &v));
    ck_assert_int_eq(v, INT64_C(1234567890123));
    mech_ctx_destroy(c);
    mech_ctx_destroy(NULL);
}
END_TEST

START_TEST(ctx_bad_input_leaves_handle_usable)
{
    mech_ctx *c = NULL;
    int64_t v;
    double d;
    ck_assert_fails_with(mech_ctx_create(NULL), MECH_EINVAL);
    ck_assert_ok(mech_ctx_create(&c));
    ck_assert_fails_with(mech_ctx_set_i64(NULL, MECH_CTX_THREADS, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_ctx_set_i64(c, MECH_CTX_THREADS, 0), MECH_ERANGE);
    ck_assert_str_ne(mech_ctx_last_error(c), "");
    ck_assert_fails_with(mech_ctx_set_i64(c, MECH_CTX_THREADS, -3), MECH_ERANGE);
    ck_assert_fails_with(mech_ctx_set_i64(c, MECH_CTX_SEED, -1), MECH_ERANGE);
    ck_assert_fails_with(mech_ctx_set_i64(c, (mech_ctx_opt)99, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_ctx_set_i64(c, (mech_ctx_opt)-1, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_ctx_set_f64(c, MECH_CTX_THREADS, 2.0), MECH_EINVAL);
    ck_assert_fails_with(mech_ctx_get_f64(c, MECH_CTX_THREADS, &d), MECH_EINVAL);
    ck_assert_fails_with(mech_ctx_get_i64(c, MECH_CTX_THREADS, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ctx_get_i64(NULL, MECH_CTX_THREADS, &v), MECH_EINVAL);
    ck_assert_fails_with(mech_ctx_set_log(NULL, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_ctx_set_progress(NULL, NULL, NULL), MECH_EINVAL);
    /* still usable, value unchanged */
    ck_assert_ok(mech_ctx_get_i64(c, MECH_CTX_THREADS, &v));
    ck_assert_int_eq(v, 1);
    ck_assert_ok(mech_ctx_set_i64(c, MECH_CTX_THREADS, 2));
    mech_ctx_destroy(c);
}
END_TEST

START_TEST(option_introspection)
{
    int n = 0, key = -1;
    const char *name = NULL, *doc = NULL;
    mech_opt_type ty;
    double lo, hi;
    ck_assert_ok(mech_option_count(MECH_KIND_CTX, &n));
    ck_assert_int_eq(n, 3);
    int n_ctx = n;
    ck_assert_ok(mech_option_lookup(MECH_KIND_CTX, "seed", &key));
    ck_assert_int_eq(key, MECH_CTX_SEED);
    for (int k = 0; k < n_ctx; k++) {
        ck_assert_ok(mech_option_name(MECH_KIND_CTX, k, &name));
        int back = -1;
        ck_assert_ok(mech_option_lookup(MECH_KIND_CTX, name, &back));
        ck_assert_int_eq(back, k);
        ck_assert_ok(mech_option_doc(MECH_KIND_CTX, k, &doc));
        ck_assert_int_gt(strlen(doc), 0);
        ck_assert_ok(mech_option_type(MECH_KIND_CTX, k, &ty));
    }
    ck_assert_ok(mech_option_bounds(MECH_KIND_CTX, MECH_CTX_THREADS, &lo, &hi));
    ck_assert(lo == 1.0 && hi >= 2.0);
    /* every kind answers, and the operator handles list their keys */
    for (int kind = MECH_KIND_CTX; kind <= MECH_KIND_CENTRAL_FLOW; kind++)
        ck_assert_ok(mech_option_count((mech_kind)kind, &n));
    ck_assert_ok(mech_option_lookup(MECH_KIND_LANCZOS, "tol", &key));
    ck_assert_ok(mech_option_lookup(MECH_KIND_SLQ, "probes", &key));
    ck_assert_fails_with(mech_option_lookup(MECH_KIND_CTX, "nope", &key), MECH_ENOTFOUND);
    ck_assert_fails_with(mech_option_lookup(MECH_KIND_CTX, NULL, &key), MECH_EINVAL);
    ck_assert_fails_with(mech_option_count((mech_kind)77, &n), MECH_EINVAL);
    ck_assert_fails_with(mech_option_count(MECH_KIND_CTX, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_option_name(MECH_KIND_CTX, 3, &name), MECH_EINVAL);
    ck_assert_fails_with(mech_option_type(MECH_KIND_CTX, -1, &ty), MECH_EINVAL);
    ck_assert_fails_with(mech_option_bounds(MECH_KIND_CTX, 0, NULL, &hi), MECH_EINVAL);
    ck_assert_fails_with(mech_option_doc(MECH_KIND_CTX, 0, NULL), MECH_EINVAL);
}
END_TEST

static int log_calls;
static int count_log(int level, const char *msg, void *ud)
{
    (void)level;
    (void)msg;
    *(int *)ud += 1;
    return 0;
}

START_TEST(error_slot_is_cleared_and_reported)
{
    mech_clear_error();
    ck_assert_str_eq(mech_last_error(), "");
    ck_assert_int_eq(mech_last_status(), MECH_OK);
    mech_ctx_set_i64(NULL, MECH_CTX_SEED, 0);
    ck_assert_int_eq(mech_last_status(), MECH_EINVAL);
    ck_assert_ptr_nonnull(strstr(mech_last_error(), "ctx"));
    mech_ctx *c = NULL;
    ck_assert_ok(mech_ctx_create(&c));
    log_calls = 0;
    ck_assert_ok(mech_ctx_set_log(c, count_log, &log_calls));
    ck_assert_ok(mech_ctx_set_log(c, NULL, NULL));
    mech_ctx_destroy(c);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, status_strings_cover_every_code);
    tcase_add_test(tc, version_matches_headers);
    tcase_add_test(tc, ctx_defaults_and_setters);
    tcase_add_test(tc, ctx_bad_input_leaves_handle_usable);
    tcase_add_test(tc, option_introspection);
    tcase_add_test(tc, error_slot_is_cleared_and_reported);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(core_suite()); }

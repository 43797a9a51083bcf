/* Shared helpers for the Check suites. */
#ifndef MECH_TEST_HARNESS_H
#define MECH_TEST_HARNESS_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mechanics.h>

/* Runs one suite and returns the process exit code. Output is TAP when
 * CK_TAP_LOG_FILE_NAME=- is set (meson test does). */
static inline int mech_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV); /* CK_VERBOSITY; meson sets it silent for TAP */
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Asserts that st is an error and that a non-empty message was left. */
#define ck_assert_fails_with(expr, want)                                     \
    do {                                                                     \
        mech_clear_error();                                                  \
        int got_ = (int)(expr);                                              \
        ck_assert_msg(got_ == (int)(want), "%s returned %s, want %s", #expr, \
                      mech_status_name(got_), mech_status_name((int)(want)));\
        ck_assert_msg(mech_last_error()[0] != '\0',                          \
                      "%s left no error message", #expr);                    \
    } while (0)

#define ck_assert_ok(expr)                                                   \
    do {                                                                     \
        int got_ = (int)(expr);                                              \
        ck_assert_msg(got_ == MECH_OK, "%s failed: %s (%s)", #expr,          \
                      mech_status_name(got_), mech_last_error());            \
    } while (0)

/* |a - b| <= tol * max(1, |b|) */
#define ck_assert_close(a, b, tol)                                           \
    do {                                                                     \
        double a_ = (a), b_ = (b);                                           \
        ck_assert_msg(fabs(a_ - b_) <= (tol) * fmax(1.0, fabs(b_)),          \
                      "%s = %.17g, want %.17g (tol %g)", #a, a_, b_,         \
                      (double)(tol));                                        \
    } while (0)

#endif

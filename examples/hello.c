/*
 * hello: the smallest libmechanics program. Build it against an installed
 * library with nothing but pkg-config:
 *
 *   cc hello.c $(pkg-config --cflags --libs mechanics) -o hello
 */
#include <stdio.h>

#include <mechanics.h>

int main(void)
{
    /* A library older or newer than the headers is a build mistake. */
    if (mech_version() != MECH_VERSION_NUMBER) {
        fprintf(stderr, "hello: headers %s but library %s\n", MECH_VERSION_STRING,
                mech_version_string());
        return 1;
    }

    mech_ctx *ctx = NULL;
    mech_status st = mech_ctx_create(&ctx);
    if (st != MECH_OK) {
        fprintf(stderr, "hello: %s\n", mech_last_error());
        return 1;
    }
    /* Configure before creating handles from the context. */
    st = mech_ctx_set_i64(ctx, MECH_CTX_SEED, 42);
    if (st != MECH_OK) {
        fprintf(stderr, "hello: %s\n", mech_ctx_last_error(ctx));
        mech_ctx_destroy(ctx);
        return 1;
    }
    printf("libmechanics %s on BLIS %s\n", mech_version_string(), mech_blis_version());
    mech_ctx_destroy(ctx);
    return 0;
}

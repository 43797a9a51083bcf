/* Trace: storage, metadata, file formats (round trip and hostile input),
 * ensembles and the comparison of prediction with measurement. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

/* ---------------- helpers ---------------- */

/* splitmix64 + Box-Muller: a local generator independent of the library. */
typedef struct gen {
    uint64_t s;
} gen;

static double gen_uniform(gen *g)
{
    uint64_t z = (g->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}

static double gen_normal(gen *g)
{
    double u = gen_uniform(g), v = gen_uniform(g);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, n, "%s/mech_trace_%ld_%s", dir && *dir ? dir : "/tmp", (long)getpid(), name);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(*n + 1);
    ck_assert_uint_eq(fread(p, 1, *n, f), *n);
    fclose(f);
    return p;
}

static bool same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Names and values that stress every format. */
static const char *const TRICKY_NAMES[] = {"loss", "a,b \"q\" \\ back", "\xc3\xbcni\xe2\x82\xac \xf0\x9f\x98\x80"};
static const double TRICKY_T[] = {0.0, 0.5, 1e-300, 3.0, 7.25};

static double tricky_value(size_t i, size_t j)
{
    const double v[] = {NAN, 4.9406564584124654e-324, -4.9406564584124654e-324, 1e300,
                        -0.0, 0.1, 1.0 / 3.0, -2.5e-310, 123456789.123456789};
    return v[(i * 3 + j * 5) % (sizeof v / sizeof v[0])];
}

static mech_trace *tricky_trace(void)
{
    mech_ctx *ctx = NULL;
    ck_assert_ok(mech_ctx_create(&ctx));
    ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_SEED, 42));
    mech_trace *tr = NULL;
    ck_assert_ok(mech_trace_create(&tr, ctx, MECH_AXIS_TIME));
    mech_ctx_destroy(ctx); /* the trace copied what it needs */
    for (size_t j = 0; j < 3; j++) ck_assert_ok(mech_trace_add_column(tr, TRICKY_NAMES[j], NULL));
    for (size_t i = 0; i < 5; i++) {
        double v[3];
        for (size_t j = 0; j < 3; j++) v[j] = tricky_value(i, j);
        ck_assert_ok(mech_trace_append(tr, TRICKY_T[i], v, 3));
    }
    ck_assert_ok(mech_trace_set_meta(tr, "note", "comma, \"quote\" = sign \xc3\xa9"));
    ck_assert_ok(mech_trace_set_meta_f64(tr, "lr", 0.1));
    return tr;
}

/* Asserts b holds a's values bit for bit (names too unless check_names). */
static void assert_same_table(const mech_trace *a, const mech_trace *b, bool check_names)
{
    ck_assert_uint_eq(mech_trace_n_rows(a), mech_trace_n_rows(b));
    ck_assert_uint_eq(mech_trace_n_columns(a), mech_trace_n_columns(b));
    size_t r = mech_trace_n_rows(a);
    double x[16], y[16];
    ck_assert_ok(mech_trace_time(a, x, r));
    ck_assert_ok(mech_trace_time(b, y, r));
    for (size_t i = 0; i < r; i++) ck_assert(same_bits(x[i], y[i]));
    for (size_t j = 0; j < mech_trace_n_columns(a); j++) {
        ck_assert_ok(mech_trace_column(a, j, x, r));
        ck_assert_ok(mech_trace_column(b, j, y, r));
        for (size_t i = 0; i < r; i++)
            ck_assert_msg(same_bits(x[i], y[i]) || (isnan(x[i]) && isnan(y[i])),
                          "col %zu row %zu: %.17g vs %.17g", j, i, x[i], y[i]);
        if (check_names) {
            const char *na, *nb;
            ck_assert_ok(mech_trace_column_name(a, j, &na));
            ck_assert_ok(mech_trace_column_name(b, j, &nb));
            ck_assert_str_eq(na, nb);
        }
    }
}

static void assert_same_meta(const mech_trace *a, const mech_trace *b)
{
    ck_assert_uint_eq(mech_trace_meta_count(a), mech_trace_meta_count(b));
    for (size_t k = 0; k < mech_trace_meta_count(a); k++) {
        const char *key, *va, *vb;
        ck_assert_ok(mech_trace_meta_key(a, k, &key));
        ck_assert_ok(mech_trace_get_meta(a, key, &va));
        ck_assert_ok(mech_trace_get_meta(b, key, &vb));
        ck_assert_str_eq(va, vb);
    }
}

/* ---------------- storage ---------------- */

START_TEST(axis_names)
{
    const char *names[] = {"step", "time", "samples", "alpha"};
    for (int a = 0; a < 4; a++) {
        mech_axis got;
        ck_assert_str_eq(mech_axis_name((mech_axis)a), names[a]);
        ck_assert_ok(mech_axis_lookup(names[a], &got));
        ck_assert_int_eq(got, a);
    }
    mech_axis got;
    ck_assert_ptr_null(mech_axis_name((mech_axis)4));
    ck_assert_fails_with(mech_axis_lookup("epoch", &got), MECH_ENOTFOUND);
    ck_assert_fails_with(mech_axis_lookup(NULL, &got), MECH_EINVAL);
    ck_assert_fails_with(mech_axis_lookup("step", NULL), MECH_EINVAL);
}
END_TEST

START_TEST(create_sets_metadata)
{
    mech_ctx *ctx = NULL;
    ck_assert_ok(mech_ctx_create(&ctx));
    ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_SEED, 987654321));
    ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_THREADS, 2));
    mech_trace *tr = NULL;
    ck_assert_ok(mech_trace_create(&tr, ctx, MECH_AXIS_SAMPLES));
    const char *v;
    ck_assert_ok(mech_trace_get_meta(tr, "library_version", &v));
    ck_assert_str_eq(v, mech_version_string());
    ck_assert_ok(mech_trace_get_meta(tr, "blis_version", &v));
    ck_assert_str_eq(v, mech_blis_version());
    ck_assert_ok(mech_trace_get_meta(tr, "threads", &v));
    ck_assert_str_eq(v, "2");
    ck_assert_ok(mech_trace_get_meta(tr, "seed", &v));
    ck_assert_str_eq(v, "987654321");
    ck_assert_ok(mech_trace_get_meta(tr, "axis", &v));
    ck_assert_str_eq(v, "samples");
    ck_assert_uint_eq(mech_trace_meta_count(tr), 5);
    mech_axis ax;
    ck_assert_ok(mech_trace_axis(tr, &ax));
    ck_assert_int_eq(ax, MECH_AXIS_SAMPLES);
    mech_trace_destroy(tr);
    mech_ctx_destroy(ctx);
    ck_assert_ok(mech_trace_create(&tr, NULL, MECH_AXIS_STEP)); /* NULL ctx: defaults */
    ck_assert_ok(mech_trace_get_meta(tr, "seed", &v));
    ck_assert_str_eq(v, "0");
    mech_trace_destroy(tr);
    mech_trace_destroy(NULL);
}
END_TEST

START_TEST(columns_and_rows)
{
    mech_trace *tr = NULL;
    ck_assert_ok(mech_trace_create(&tr, NULL, MECH_AXIS_STEP));
    size_t a = 9, b = 9, again = 9;
    ck_assert_ok(mech_trace_add_column(tr, "loss", &a));
    ck_assert_ok(mech_trace_add_column(tr, "acc", &b));
    ck_assert_ok(mech_trace_add_column(tr, "loss", &again));
    ck_assert_uint_eq(a, 0);
    ck_assert_uint_eq(b, 1);
    ck_assert_uint_eq(again, 0);
    ck_assert_uint_eq(mech_trace_n_columns(tr), 2);
    ck_assert_ok(mech_trace_reserve(tr, 100));
    double v2[2] = {1.5, 2.5};
    ck_assert_ok(mech_trace_append(tr, 0.0, v2, 2));
    ck_assert_ok(mech_trace_append(tr, 1.0, v2, 1)); /* acc not measured */
    ck_assert_ok(mech_trace_append(tr, 2.0, NULL, 0));
    ck_assert_ok(mech_trace_begin_row(tr, 1.5)); /* times need not increase */
    ck_assert_ok(mech_trace_put(tr, b, -7.0));
    size_t c = 0;
    ck_assert_ok(mech_trace_add_column(tr, "late", &c)); /* earlier rows: NaN */
    ck_assert_ok(mech_trace_put(tr, c, 3.0));
    ck_assert_uint_eq(mech_trace_n_rows(tr), 4);
    double t[4], col[4], v;
    ck_assert_ok(mech_trace_time(tr, t, 4));
    ck_assert(t[0] == 0.0 && t[1] == 1.0 && t[2] == 2.0 && t[3] == 1.5);
    ck_assert_ok(mech_trace_column(tr, a, col, 4));
    ck_assert(col[0] == 1.5 && col[1] == 1.5 && isnan(col[2]) && isnan(col[3]));
    ck_assert_ok(mech_trace_column(tr, b, col, 4));
    ck_assert(col[0] == 2.5 && isnan(col[1]) && isnan(col[2]) && col[3] == -7.0);
    ck_assert_ok(mech_trace_column(tr, c, col, 4));
    ck_assert(isnan(col[0]) && isnan(col[1]) && isnan(col[2]) && col[3] == 3.0);
    ck_assert_ok(mech_trace_value(tr, 3, b, &v));
    ck_assert(v == -7.0);
    size_t idx;
    const char *name;
    ck_assert_ok(mech_trace_column_index(tr, "late", &idx));
    ck_assert_uint_eq(idx, c);
    ck_assert_ok(mech_trace_column_name(tr, b, &name));
    ck_assert_str_eq(name, "acc");
    /* growth past the reservation keeps data */
    for (int i = 0; i < 1000; i++) ck_assert_ok(mech_trace_append(tr, i, v2, 2));
    ck_assert_ok(mech_trace_value(tr, 3, b, &v));
    ck_assert(v == -7.0);
    mech_trace_destroy(tr);
}
END_TEST

START_TEST(storage_bad_input)
{
    mech_trace *tr = NULL;
    double v[3] = {1, 2, 3}, out[2];
    size_t idx;
    const char *s;
    mech_axis ax;
    ck_assert_fails_with(mech_trace_create(NULL, NULL, MECH_AXIS_STEP), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_create(&tr, NULL, (mech_axis)7), MECH_EINVAL);
    ck_assert_ptr_null(tr);
    ck_assert_ok(mech_trace_create(&tr, NULL, MECH_AXIS_STEP));
    ck_assert_fails_with(mech_trace_put(tr, 0, 1.0), MECH_ESTATE);
    ck_assert_ok(mech_trace_add_column(tr, "x", NULL));
    ck_assert_ok(mech_trace_add_column(tr, "y", NULL));
    ck_assert_fails_with(mech_trace_axis(NULL, &ax), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_axis(tr, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_add_column(NULL, "z", NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_add_column(tr, NULL, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_add_column(tr, "", NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_add_column(tr, "a\nb", NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_add_column(tr, "bad\xff", NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_add_column(tr, "step", NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_add_column(tr, "__meta__", NULL), MECH_EINVAL);
    ck_assert_str_ne(mech_trace_last_error(tr), "");
    ck_assert_str_eq(mech_trace_last_error(NULL), "");
    ck_assert_fails_with(mech_trace_column_index(tr, "nope", &idx), MECH_ENOTFOUND);
    ck_assert_fails_with(mech_trace_column_index(tr, NULL, &idx), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_column_index(tr, "x", NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_column_index(NULL, "x", &idx), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_column_name(tr, 2, &s), MECH_ERANGE);
    ck_assert_fails_with(mech_trace_column_name(tr, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_column_name(NULL, 0, &s), MECH_EINVAL);
    ck_assert_uint_eq(mech_trace_n_columns(NULL), 0);
    ck_assert_uint_eq(mech_trace_n_rows(NULL), 0);
    ck_assert_fails_with(mech_trace_reserve(NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_reserve(tr, SIZE_MAX), MECH_EOVERFLOW);
    ck_assert_fails_with(mech_trace_append(NULL, 0, v, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_append(tr, 0, v, 3), MECH_ESHAPE);
    ck_assert_fails_with(mech_trace_append(tr, 0, NULL, 2), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_append(tr, NAN, v, 2), MECH_ENONFINITE);
    ck_assert_fails_with(mech_trace_append(tr, INFINITY, v, 2), MECH_ENONFINITE);
    double inf2[2] = {1.0, -INFINITY};
    ck_assert_fails_with(mech_trace_append(tr, 0, inf2, 2), MECH_ENONFINITE);
    ck_assert_uint_eq(mech_trace_n_rows(tr), 0); /* nothing appended */
    ck_assert_fails_with(mech_trace_begin_row(NULL, 0), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_begin_row(tr, NAN), MECH_ENONFINITE);
    ck_assert_ok(mech_trace_begin_row(tr, 1.0));
    ck_assert_fails_with(mech_trace_put(NULL, 0, 1.0), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_put(tr, 2, 1.0), MECH_ERANGE);
    ck_assert_fails_with(mech_trace_put(tr, 0, INFINITY), MECH_ENONFINITE);
    ck_assert_ok(mech_trace_put(tr, 0, NAN)); /* explicit "not measured" */
    ck_assert_fails_with(mech_trace_time(tr, out, 2), MECH_ESHAPE);
    ck_assert_fails_with(mech_trace_time(tr, NULL, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_time(NULL, out, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_column(tr, 5, out, 1), MECH_ERANGE);
    ck_assert_fails_with(mech_trace_column(tr, 0, out, 0), MECH_ESHAPE);
    ck_assert_fails_with(mech_trace_column(NULL, 0, out, 1), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_value(tr, 1, 0, out), MECH_ERANGE);
    ck_assert_fails_with(mech_trace_value(tr, 0, 2, out), MECH_ERANGE);
    ck_assert_fails_with(mech_trace_value(tr, 0, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_value(NULL, 0, 0, out), MECH_EINVAL);
    /* still usable */
    ck_assert_ok(mech_trace_put(tr, 1, 4.0));
    ck_assert_ok(mech_trace_value(tr, 0, 1, out));
    ck_assert(out[0] == 4.0);
    mech_trace_destroy(tr);
}
END_TEST

START_TEST(metadata)
{
    mech_trace *tr = NULL;
    const char *v, *k;
    ck_assert_ok(mech_trace_create(&tr, NULL, MECH_AXIS_ALPHA));
    ck_assert_ok(mech_trace_set_meta(tr, "optimizer", "sgd"));
    ck_assert_ok(mech_trace_set_meta(tr, "optimizer", "adam"));
    ck_assert_ok(mech_trace_get_meta(tr, "optimizer", &v));
    ck_assert_str_eq(v, "adam");
    ck_assert_ok(mech_trace_set_meta_f64(tr, "lr", 0.1));
    ck_assert_ok(mech_trace_get_meta(tr, "lr", &v));
    ck_assert(strtod(v, NULL) == 0.1);
    ck_assert_uint_eq(mech_trace_meta_count(tr), 7);
    ck_assert_ok(mech_trace_meta_key(tr, 5, &k));
    ck_assert_str_eq(k, "optimizer");
    ck_assert_fails_with(mech_trace_meta_key(tr, 7, &k), MECH_ERANGE);
    ck_assert_fails_with(mech_trace_meta_key(tr, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_meta_key(NULL, 0, &k), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_get_meta(tr, "absent", &v), MECH_ENOTFOUND);
    ck_assert_fails_with(mech_trace_get_meta(tr, NULL, &v), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_get_meta(tr, "lr", NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_get_meta(NULL, "lr", &v), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_set_meta(NULL, "a", "b"), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_set_meta(tr, NULL, "b"), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_set_meta(tr, "a", NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_set_meta(tr, "", "b"), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_set_meta(tr, "a=b", "c"), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_set_meta(tr, "a", "line\nbreak"), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_set_meta_f64(NULL, "a", 1.0), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_set_meta_f64(tr, NULL, 1.0), MECH_EINVAL);
    ck_assert_uint_eq(mech_trace_meta_count(tr), 7);
    ck_assert_uint_eq(mech_trace_meta_count(NULL), 0);
    mech_trace_destroy(tr);
}
END_TEST

/* ---------------- files ---------------- */

static const struct { const char *file; mech_trace_format fmt; bool keeps_names; } FORMATS[] = {
    {"rt.csv", MECH_TRACE_CSV, true},
    {"rt.jsonl", MECH_TRACE_JSONL, true},
    {"rt.npy", MECH_TRACE_NPY, false},
    {"rt.npz", MECH_TRACE_NPZ, true},
};

START_TEST(round_trip_bitwise)
{
    mech_trace *tr = tricky_trace();
    char path[512];
    tmp_path(path, sizeof path, FORMATS[_i].file);
    ck_assert_ok(mech_trace_save(tr, path, FORMATS[_i].fmt));
    mech_trace *back = NULL;
    ck_assert_ok(mech_trace_load(&back, NULL, path, MECH_TRACE_AUTO));
    assert_same_table(tr, back, FORMATS[_i].keeps_names);
    mech_axis ax;
    ck_assert_ok(mech_trace_axis(back, &ax));
    const char *v;
    if (FORMATS[_i].keeps_names) {
        ck_assert_int_eq(ax, MECH_AXIS_TIME);
        assert_same_meta(tr, back);
        ck_assert_ok(mech_trace_get_meta(back, "seed", &v));
        ck_assert_str_eq(v, "42");
    } else { /* NPY: data only, documented */
        ck_assert_int_eq(ax, MECH_AXIS_STEP);
        ck_assert_ok(mech_trace_column_name(back, 1, &v));
        ck_assert_str_eq(v, "c1");
        ck_assert_ok(mech_trace_get_meta(back, "library_version", &v));
    }
    mech_trace_destroy(back);
    /* an empty trace round-trips too */
    mech_trace *empty = NULL;
    ck_assert_ok(mech_trace_create(&empty, NULL, MECH_AXIS_STEP));
    ck_assert_ok(mech_trace_save(empty, path, FORMATS[_i].fmt));
    ck_assert_ok(mech_trace_load(&back, NULL, path, FORMATS[_i].fmt));
    ck_assert_uint_eq(mech_trace_n_rows(back), 0);
    ck_assert_uint_eq(mech_trace_n_columns(back), 0);
    mech_trace_destroy(back);
    mech_trace_destroy(empty);
    remove(path);
    mech_trace_destroy(tr);
}
END_TEST

/* Every prefix of a saved file loads with MECH_OK or MECH_EFORMAT, every
 * single-byte corruption also possibly with MECH_EUNSUPPORTED (a flipped
 * dtype or zip method byte), never a crash. Binary formats must
 * refuse every strict prefix: a text file cut at a row boundary is a valid
 * shorter trace. */
START_TEST(hostile_files)
{
    mech_trace *tr = tricky_trace();
    char path[512], bad[512];
    tmp_path(path, sizeof path, FORMATS[_i].file);
    tmp_path(bad, sizeof bad, FORMATS[_i].file + 1); /* same extension */
    ck_assert_ok(mech_trace_save(tr, path, FORMATS[_i].fmt));
    size_t n = 0;
    unsigned char *bytes = read_bytes(path, &n);
    bool binary = FORMATS[_i].fmt == MECH_TRACE_NPY || FORMATS[_i].fmt == MECH_TRACE_NPZ;
    for (size_t len = 0; len < n; len++) {
        write_bytes(bad, bytes, len);
        mech_trace *back = NULL;
        mech_clear_error();
        int st = mech_trace_load(&back, NULL, bad, FORMATS[_i].fmt);
        if (binary || st != MECH_OK) {
            ck_assert_msg(st == MECH_EFORMAT, "prefix %zu: %s", len, mech_status_name(st));
            ck_assert_ptr_null(back);
            ck_assert_str_ne(mech_last_error(), "");
        } else {
            ck_assert_uint_le(mech_trace_n_rows(back), 5);
        }
        mech_trace_destroy(back);
    }
    gen g = {7};
    for (size_t k = 0; k < n; k++) {
        unsigned char saved = bytes[k];
        bytes[k] ^= (unsigned char)(1u + (unsigned)(gen_uniform(&g) * 255.0));
        write_bytes(bad, bytes, n);
        bytes[k] = saved;
        mech_trace *back = NULL;
        int st = mech_trace_load(&back, NULL, bad, FORMATS[_i].fmt);
        ck_assert_msg(st == MECH_OK || st == MECH_EFORMAT || st == MECH_EUNSUPPORTED,
                      "byte %zu: %s", k,
                      mech_status_name(st));
        mech_trace_destroy(back);
    }
    /* garbage */
    unsigned char junk[300];
    for (size_t k = 0; k < sizeof junk; k++) junk[k] = (unsigned char)(gen_uniform(&g) * 256.0);
    write_bytes(bad, junk, sizeof junk);
    mech_trace *back = NULL;
    ck_assert_fails_with(mech_trace_load(&back, NULL, bad, FORMATS[_i].fmt), MECH_EFORMAT);
    free(bytes);
    remove(path);
    remove(bad);
    mech_trace_destroy(tr);
}
END_TEST

START_TEST(npz_structure_and_numpy_files)
{
    /* our npz: a zip whose entries are stored .npy files with CRCs */
    mech_trace *tr = tricky_trace();
    char path[512];
    tmp_path(path, sizeof path, "s.npz");
    ck_assert_ok(mech_trace_save(tr, path, MECH_TRACE_NPZ));
    size_t n = 0;
    unsigned char *b = read_bytes(path, &n);
    ck_assert(memcmp(b, "PK\x03\x04", 4) == 0);
    ck_assert_int_eq(b[8] | b[9] << 8, 0); /* stored */
    ck_assert(memcmp(b + 30, "time.npy\x93NUMPY", 14) == 0);
    ck_assert(memcmp(b + n - 22, "PK\x05\x06", 4) == 0);
    ck_assert_int_eq(b[n - 12] | b[n - 11] << 8, 5); /* time, 3 columns, __meta__ */
    free(b);
    mech_trace_destroy(tr);

    /* a file as numpy.savez(f, loss=..., step=...) writes it: zip64 extra in
     * the local header, no __meta__; built here byte by byte */
    static const unsigned char npy_hdr[] =
        "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    unsigned char arr[2][128 + 16];
    for (int a = 0; a < 2; a++) {
        memset(arr[a], ' ', 128);
        memcpy(arr[a], npy_hdr, sizeof npy_hdr - 1);
        arr[a][127] = '\n';
        double v[2] = {a ? 10.0 : 0.25, a ? 20.0 : NAN};
        memcpy(arr[a] + 128, v, 16); /* little-endian host assumed by this test */
    }
    unsigned char zip[1024];
    size_t z = 0, off[2];
    const char *names[2] = {"loss.npy", "step.npy"};
    uint32_t crc[2];
    /* zlib's crc32 is not linked here: a tiny bitwise reference */
    for (int a = 0; a < 2; a++) {
        uint32_t c = 0xFFFFFFFFu;
        for (int i = 0; i < 144; i++) {
            c ^= arr[a][i];
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
        crc[a] = ~c;
    }
#define LE(v, nb) do { for (int q_ = 0; q_ < (nb); q_++) zip[z++] = (unsigned char)((uint64_t)(v) >> (8 * q_)); } while (0)
    for (int a = 0; a < 2; a++) {
        off[a] = z;
        LE(0x04034b50u, 4); LE(45, 2); LE(0, 2); LE(0, 2); LE(0, 2); LE(0x21, 2);
        LE(crc[a], 4); LE(0xFFFFFFFFu, 4); LE(0xFFFFFFFFu, 4); LE(8, 2); LE(20, 2);
        memcpy(zip + z, names[a], 8); z += 8;
        LE(1, 2); LE(16, 2); LE(144, 8); LE(144, 8);
        memcpy(zip + z, arr[a], 144); z += 144;
    }
    size_t cd = z;
    for (int a = 0; a < 2; a++) {
        LE(0x02014b50u, 4); LE(0x031e, 2); LE(45, 2); LE(0, 2); LE(0, 2); LE(0, 2); LE(0x21, 2);
        LE(crc[a], 4); LE(144, 4); LE(144, 4); LE(8, 2); LE(0, 2); LE(0, 2); LE(0, 2);
        LE(0, 2); LE(0x01800000u, 4); LE(off[a], 4);
        memcpy(zip + z, names[a], 8); z += 8;
    }
    size_t cd_size = z - cd;
    LE(0x06054b50u, 4); LE(0, 4); LE(2, 2); LE(2, 2); LE(cd_size, 4); LE(cd, 4); LE(0, 2);
#undef LE
    write_bytes(path, zip, z);
    mech_trace *back = NULL;
    ck_assert_ok(mech_trace_load(&back, NULL, path, MECH_TRACE_AUTO));
    mech_axis ax;
    ck_assert_ok(mech_trace_axis(back, &ax));
    ck_assert_int_eq(ax, MECH_AXIS_STEP);
    ck_assert_uint_eq(mech_trace_n_rows(back), 2);
    ck_assert_uint_eq(mech_trace_n_columns(back), 1);
    double t[2], y[2];
    ck_assert_ok(mech_trace_time(back, t, 2));
    ck_assert_ok(mech_trace_column(back, 0, y, 2));
    ck_assert(t[0] == 10.0 && t[1] == 20.0 && y[0] == 0.25 && isnan(y[1]));
    mech_trace_destroy(back);
    remove(path);
}
END_TEST

START_TEST(files_bad_input)
{
    mech_trace *tr = tricky_trace(), *back = NULL;
    char path[512];
    tmp_path(path, sizeof path, "x.unknown");
    ck_assert_fails_with(mech_trace_save(NULL, path, MECH_TRACE_CSV), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_save(tr, NULL, MECH_TRACE_CSV), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_save(tr, path, MECH_TRACE_AUTO), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_save(tr, path, (mech_trace_format)9), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_save(tr, "/nonexistent-dir/x.csv", MECH_TRACE_AUTO),
                         MECH_EIO);
    ck_assert_fails_with(mech_trace_load(NULL, NULL, path, MECH_TRACE_CSV), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_load(&back, NULL, NULL, MECH_TRACE_CSV), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_load(&back, NULL, path, MECH_TRACE_AUTO), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_load(&back, NULL, "/nonexistent-dir/x.csv",
                                         MECH_TRACE_AUTO), MECH_EIO);
    /* hand-written malformed text files */
    static const char *const csv_bad[] = {
        "",
        "# k=v\n",
        "epoch,a\n1,2\n",
        "step,a,a\n1,2,3\n",
        "step,a\n1\n",
        "step,a\n1,2,3\n",
        "step,a\nnan,2\n",
        "step,a\n1,inf\n",
        "step,a\n1,2x\n",
        "step,\"a\n",
        "# novalue\nstep,a\n",
        "step,a\n1e999,2\n",
    };
    tmp_path(path, sizeof path, "bad.csv");
    for (size_t k = 0; k < sizeof csv_bad / sizeof csv_bad[0]; k++) {
        write_bytes(path, csv_bad[k], strlen(csv_bad[k]));
        ck_assert_fails_with(mech_trace_load(&back, NULL, path, MECH_TRACE_AUTO), MECH_EFORMAT);
    }
    static const char *const jsonl_bad[] = {
        "",
        "{}\n",
        "{\"meta\":{},\"axis\":\"epoch\",\"columns\":[]}\n",
        "{\"meta\":{},\"axis\":\"step\",\"columns\":[\"a\",\"a\"]}\n",
        "{\"meta\":{},\"axis\":\"step\",\"columns\":[\"a\"]}\n{\"a\":1}\n",
        "{\"meta\":{},\"axis\":\"step\",\"columns\":[\"a\"]}\n{\"step\":1,\"b\":2}\n",
        "{\"meta\":{},\"axis\":\"step\",\"columns\":[\"a\"]}\n{\"step\":1,\"a\":2,\"a\":3}\n",
        "{\"meta\":{},\"axis\":\"step\",\"columns\":[\"a\"]}\n{\"step\":null,\"a\":2}\n",
        "{\"meta\":{},\"axis\":\"step\",\"columns\":[\"a\"]}\n{\"step\":1,\"a\":NaN}\n",
        "{\"meta\":{\"k\":\"\\ud800\"},\"axis\":\"step\",\"columns\":[]}\n",
        "{\"meta\":{\"k\":\"\\u0000\"},\"axis\":\"step\",\"columns\":[]}\n",
        "{\"meta\":{},\"axis\":\"step\",\"columns\":[\"a\"],\"x\":1}\n",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    };
    tmp_path(path, sizeof path, "bad.jsonl");
    for (size_t k = 0; k < sizeof jsonl_bad / sizeof jsonl_bad[0]; k++) {
        write_bytes(path, jsonl_bad[k], strlen(jsonl_bad[k]));
        ck_assert_fails_with(mech_trace_load(&back, NULL, path, MECH_TRACE_AUTO), MECH_EFORMAT);
    }
    /* a JSON row may list keys in any order and omit unmeasured columns */
    const char *ok = "{\"columns\":[\"a\",\"b\"],\"axis\":\"step\",\"meta\":{}}\n"
                     "{\"b\":1.5,\"step\":3}\n";
    write_bytes(path, ok, strlen(ok));
    ck_assert_ok(mech_trace_load(&back, NULL, path, MECH_TRACE_AUTO));
    double v;
    ck_assert_ok(mech_trace_value(back, 0, 1, &v));
    ck_assert(v == 1.5);
    ck_assert_ok(mech_trace_value(back, 0, 0, &v));
    ck_assert(isnan(v));
    mech_trace_destroy(back);
    remove(path);
    mech_trace_destroy(tr);
}
END_TEST

/* ---------------- ensembles ---------------- */

START_TEST(ensemble_matches_direct_computation)
{
    enum { K = 4, R = 3 };
    const double val[K][R] = {{1, 2, NAN}, {3, 5, NAN}, {2, NAN, 4}, {6, 1, NAN}};
    mech_trace *m[K];
    for (int k = 0; k < K; k++) {
        mech_ctx *ctx = NULL;
        ck_assert_ok(mech_ctx_create(&ctx));
        ck_assert_ok(mech_ctx_set_i64(ctx, MECH_CTX_SEED, 10 + k));
        ck_assert_ok(mech_trace_create(&m[k], ctx, MECH_AXIS_STEP));
        mech_ctx_destroy(ctx);
        ck_assert_ok(mech_trace_add_column(m[k], "y", NULL));
        for (int i = 0; i < R; i++)
            ck_assert_ok(mech_trace_append(m[k], i * (1.0 + 1e-15 * k), &val[k][i], 1));
    }
    mech_trace *e = NULL;
    ck_assert_ok(mech_trace_ensemble(&e, (const mech_trace *const *)m, K));
    ck_assert_uint_eq(mech_trace_n_columns(e), 2);
    const char *s;
    ck_assert_ok(mech_trace_column_name(e, 1, &s));
    ck_assert_str_eq(s, "y_se");
    double mean[R], se[R];
    ck_assert_ok(mech_trace_column(e, 0, mean, R));
    ck_assert_ok(mech_trace_column(e, 1, se, R));
    /* row 0: {1,3,2,6}: mean 3, sample var (4+0+1+9)/3 = 14/3 */
    ck_assert_close(mean[0], 3.0, 1e-15);
    ck_assert_close(se[0], sqrt(14.0 / 3.0 / 4.0), 1e-15);
    /* row 1: {2,5,1}: mean 8/3, var ((2/3)^2 + (7/3)^2 + (5/3)^2)/2 = 13/3 */
    ck_assert_close(mean[1], 8.0 / 3.0, 1e-15);
    ck_assert_close(se[1], sqrt(13.0 / 3.0 / 3.0), 1e-15);
    /* row 2: one member measured: mean 4, se NaN */
    ck_assert_close(mean[2], 4.0, 1e-15);
    ck_assert(isnan(se[2]));
    ck_assert_ok(mech_trace_get_meta(e, "ensemble_size", &s));
    ck_assert_str_eq(s, "4");
    ck_assert_ok(mech_trace_get_meta(e, "seeds", &s));
    ck_assert_str_eq(s, "10,11,12,13");
    ck_assert_ok(mech_trace_get_meta(e, "library_version", &s));
    ck_assert_fails_with(mech_trace_get_meta(e, "seed", &s), MECH_ENOTFOUND);
    /* an ensemble of an ensemble would make y_se_se ambiguous? no: y_se is
     * a column whose own _se does not exist, but y has y_se: refused */
    const mech_trace *one[1] = {e};
    mech_trace *ee = NULL;
    ck_assert_fails_with(mech_trace_ensemble(&ee, one, 1), MECH_EINVAL);
    mech_trace_destroy(e);

    /* bad input */
    ck_assert_fails_with(mech_trace_ensemble(NULL, (const mech_trace *const *)m, K), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_ensemble(&e, NULL, K), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_ensemble(&e, (const mech_trace *const *)m, 0), MECH_EINVAL);
    const mech_trace *with_null[2] = {m[0], NULL};
    ck_assert_fails_with(mech_trace_ensemble(&e, with_null, 2), MECH_EINVAL);
    ck_assert_ok(mech_trace_begin_row(m[3], 3.0)); /* extra row */
    ck_assert_fails_with(mech_trace_ensemble(&e, (const mech_trace *const *)m, K), MECH_ESHAPE);
    mech_trace *shifted = NULL;
    ck_assert_ok(mech_trace_create(&shifted, NULL, MECH_AXIS_STEP));
    ck_assert_ok(mech_trace_add_column(shifted, "y", NULL));
    for (int i = 0; i < R; i++) ck_assert_ok(mech_trace_append(shifted, i + 1e-9, NULL, 0));
    const mech_trace *pair[2] = {m[0], shifted};
    ck_assert_fails_with(mech_trace_ensemble(&e, pair, 2), MECH_ESHAPE);
    mech_trace *other = NULL;
    ck_assert_ok(mech_trace_create(&other, NULL, MECH_AXIS_STEP));
    ck_assert_ok(mech_trace_add_column(other, "z", NULL));
    for (int i = 0; i < R; i++) ck_assert_ok(mech_trace_append(other, i, NULL, 0));
    pair[1] = other;
    ck_assert_fails_with(mech_trace_ensemble(&e, pair, 2), MECH_ESHAPE);
    ck_assert_ptr_null(e);
    mech_trace_destroy(other);
    mech_trace_destroy(shifted);
    for (int k = 0; k < K; k++) mech_trace_destroy(m[k]);
}
END_TEST

/* K = 400 members of y = sin(t) + N(0, 0.1^2): the ensemble's standard
 * error must be 0.1/sqrt(K) = 0.005. Each point's se has relative sd about
 * 1/sqrt(2(K-1)) = 0.035; averaged over 50 points, 0.005: the 10% band is
 * ~20 of its standard errors. The means sit within 4 se of sin(t) except
 * by chance at ~6e-5 per point. */
START_TEST(ensemble_standard_error_acceptance)
{
    enum { K = 400, R = 50 };
    const double sd = 0.1;
    mech_trace **m = calloc(K, sizeof *m);
    gen g = {12345};
    for (int k = 0; k < K; k++) {
        ck_assert_ok(mech_trace_create(&m[k], NULL, MECH_AXIS_TIME));
        ck_assert_ok(mech_trace_add_column(m[k], "y", NULL));
        ck_assert_ok(mech_trace_reserve(m[k], R));
        for (int i = 0; i < R; i++) {
            double t = 0.1 * i, y = sin(t) + sd * gen_normal(&g);
            ck_assert_ok(mech_trace_append(m[k], t, &y, 1));
        }
    }
    mech_trace *e = NULL;
    ck_assert_ok(mech_trace_ensemble(&e, (const mech_trace *const *)m, K));
    double mean[R], se[R], avg = 0;
    ck_assert_ok(mech_trace_column(e, 0, mean, R));
    ck_assert_ok(mech_trace_column(e, 1, se, R));
    for (int i = 0; i < R; i++) {
        avg += se[i] / R;
        ck_assert_msg(fabs(mean[i] - sin(0.1 * i)) < 4.0 * sd / sqrt(K), "row %d", i);
    }
    ck_assert_msg(fabs(avg - sd / sqrt(K)) < 0.1 * sd / sqrt(K), "mean se %g", avg);
    mech_trace_destroy(e);
    for (int k = 0; k < K; k++) mech_trace_destroy(m[k]);
    free(m);
}
END_TEST

/* ---------------- comparison ---------------- */

static mech_comparison fresh_cmp(void)
{
    mech_comparison c;
    memset(&c, 0xAB, sizeof c);
    c.size = sizeof c;
    return c;
}

START_TEST(compare_linear_is_exact)
{
    /* non-uniform grid; y = 3t - 2 is reproduced by linear interpolation up
     * to rounding (a few ulps of values <= 28) */
    double tp[] = {0.0, 0.3, 1.1, 4.0, 7.5, 10.0}, yp[6];
    for (int i = 0; i < 6; i++) yp[i] = 3.0 * tp[i] - 2.0;
    double tm[40], ym[40];
    for (int i = 0; i < 40; i++) {
        tm[i] = 0.2537 * i;
        ym[i] = 3.0 * tm[i] - 2.0 + 0.25;
    }
    mech_comparison c = fresh_cmp();
    ck_assert_ok(mech_trace_compare_arrays(tp, yp, 6, tm, ym, NULL, 40, NAN, NAN, 0.0, &c));
    ck_assert_uint_eq(c.n_points, 40); /* 0.2537 * 39 = 9.89 <= 10 */
    ck_assert(fabs(c.max_abs - 0.25) < 1e-14);
    ck_assert(fabs(c.mean_abs - 0.25) < 1e-14);
    ck_assert(fabs(c.rms - 0.25) < 1e-14);
    ck_assert(isnan(c.mean_abs_se) && isnan(c.max_z));
    ck_assert(c.t_lo == 0.0 && c.t_hi == tm[39]);
    for (int i = 0; i < 40; i++) ym[i] -= 0.25;
    ck_assert_ok(mech_trace_compare_arrays(tp, yp, 6, tm, ym, NULL, 40, NAN, NAN, 0.0, &c));
    ck_assert(c.max_abs < 1e-14);
    /* window [1, 5]: points 4 .. 19 (0.2537*4 = 1.01, 0.2537*19 = 4.82) */
    ck_assert_ok(mech_trace_compare_arrays(tp, yp, 6, tm, ym, NULL, 40, 1.0, 5.0, 0.0, &c));
    ck_assert_uint_eq(c.n_points, 16);
    ck_assert(c.t_lo == tm[4] && c.t_hi == tm[19]);
    /* measurement points outside the prediction's range are not compared */
    ck_assert_ok(mech_trace_compare_arrays(tp + 1, yp + 1, 4, tm, ym, NULL, 40, NAN, NAN, 0.0, &c));
    ck_assert(c.t_lo == tm[2] && c.t_hi == tm[29]);
    ck_assert_uint_eq(c.n_points, 28);
}
END_TEST

/* Dense exp(-t) (h = 1e-3: interpolation error <= h^2/8 = 1.25e-7) against
 * n = 2000 noisy samples with sd 0.05: mean |e| = sd sqrt(2/pi), with
 * standard error sd sqrt(1 - 2/pi) / sqrt(n) = 6.7e-4; checked at 4 se.
 * max_abs, rms and max_rel are recomputed against the exact curve, so they
 * agree to the interpolation error (<= 1.25e-7 absolute; relative errors
 * divide by p >= e^-5 = 6.7e-3, hence 1e-4 there). */
START_TEST(compare_noisy_copy)
{
    enum { NP = 5001, NM = 2000 };
    const double sd = 0.05, floor_ = 0.01;
    mech_trace *pred = NULL, *meas = NULL;
    ck_assert_ok(mech_trace_create(&pred, NULL, MECH_AXIS_TIME));
    ck_assert_ok(mech_trace_create(&meas, NULL, MECH_AXIS_TIME));
    ck_assert_ok(mech_trace_add_column(pred, "loss", NULL));
    ck_assert_ok(mech_trace_add_column(meas, "loss", NULL));
    for (int i = 0; i < NP; i++) {
        double t = 1e-3 * i, y = exp(-t);
        ck_assert_ok(mech_trace_append(pred, t, &y, 1));
    }
    gen g = {99};
    double max_abs = 0, sq = 0, max_rel = 0, sum_rel = 0;
    for (int i = 0; i < NM; i++) {
        double t = 5.0 * gen_uniform(&g), p = exp(-t), y = p + sd * gen_normal(&g);
        ck_assert_ok(mech_trace_append(meas, t, &y, 1));
        double d = fabs(y - p), r = d / fmax(p, floor_);
        max_abs = fmax(max_abs, d);
        sq += d * d;
        max_rel = fmax(max_rel, r);
        sum_rel += r;
    }
    mech_comparison c = fresh_cmp();
    ck_assert_ok(mech_trace_compare(pred, "loss", meas, "loss", NAN, NAN, floor_, &c));
    ck_assert_uint_eq(c.n_points, NM);
    double want = sd * sqrt(2.0 / 3.141592653589793), se = sd * sqrt(1.0 - 2.0 / 3.141592653589793) / sqrt(NM);
    ck_assert_msg(fabs(c.mean_abs - want) < 4.0 * se, "mean_abs %g want %g", c.mean_abs, want);
    ck_assert(fabs(c.max_abs - max_abs) < 2e-7);
    ck_assert(fabs(c.rms - sqrt(sq / NM)) < 2e-7);
    ck_assert(fabs(c.max_rel - max_rel) < 1e-4 * fmax(1.0, max_rel));
    ck_assert(fabs(c.mean_rel - sum_rel / NM) < 1e-4);
    ck_assert(isnan(c.mean_abs_se));

    /* as an ensemble: a loss_se column gives the error's standard error */
    size_t sj;
    ck_assert_ok(mech_trace_add_column(meas, "loss_se", &sj));
    mech_trace *m2 = NULL;
    ck_assert_ok(mech_trace_create(&m2, NULL, MECH_AXIS_TIME));
    ck_assert_ok(mech_trace_add_column(m2, "loss", NULL));
    ck_assert_ok(mech_trace_add_column(m2, "loss_se", NULL));
    double se2 = 0, max_z = 0;
    for (int i = 0; i < 10; i++) {
        double t = 0.4 * i, y = exp(-t) + 0.01 * (i % 3), s = 0.005 * (1 + i % 2);
        double row[2] = {y, s};
        ck_assert_ok(mech_trace_append(m2, t, row, 2));
        se2 += s * s;
        max_z = fmax(max_z, fabs(y - exp(-t)) / s);
    }
    ck_assert_ok(mech_trace_compare(pred, "loss", m2, "loss", NAN, NAN, 0.0, &c));
    ck_assert_uint_eq(c.n_points, 10);
    ck_assert(fabs(c.mean_abs_se - sqrt(se2) / 10) < 1e-15);
    ck_assert(fabs(c.max_z - max_z) < 1e-4); /* 1.25e-7 / 0.005 = 2.5e-5 */

    /* a short struct (an older caller) gets only the fields that fit */
    mech_comparison small = fresh_cmp();
    small.size = offsetof(mech_comparison, mean_abs);
    ck_assert_ok(mech_trace_compare(pred, "loss", m2, "loss", NAN, NAN, 0.0, &small));
    ck_assert_uint_eq(small.n_points, 10);
    ck_assert(small.max_abs == c.max_abs);
    mech_comparison marker = fresh_cmp();
    ck_assert(memcmp(&small.mean_abs, &marker.mean_abs, sizeof small - offsetof(mech_comparison, mean_abs)) == 0);
    mech_trace_destroy(m2);
    mech_trace_destroy(pred);
    mech_trace_destroy(meas);
}
END_TEST

START_TEST(compare_bad_input)
{
    double t[3] = {0, 1, 2}, y[3] = {1, 2, 3}, down[3] = {0, 2, 1};
    mech_comparison c = fresh_cmp();
    ck_assert_fails_with(mech_trace_compare_arrays(NULL, y, 3, t, y, NULL, 3, NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, NULL, 3, t, y, NULL, 3, NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, NULL, y, NULL, 3, NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, NULL, NULL, 3, NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, y, NULL, 3, NAN, NAN, 0, NULL), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 0, t, y, NULL, 3, NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, y, NULL, 0, NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(down, y, 3, t, y, NULL, 3, NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, y, NULL, 3, NAN, NAN, -1, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, y, NULL, 3, NAN, NAN, NAN, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, y, NULL, 3, 2, 1, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, y, NULL, 3, 5, 6, 0, &c), MECH_ERANGE);
    double tn[3] = {0, NAN, 2};
    ck_assert_fails_with(mech_trace_compare_arrays(tn, y, 3, t, y, NULL, 3, NAN, NAN, 0, &c), MECH_ENONFINITE);
    double yn[3] = {NAN, NAN, NAN};
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, yn, NULL, 3, NAN, NAN, 0, &c), MECH_ERANGE);
    c.size = 4;
    ck_assert_fails_with(mech_trace_compare_arrays(t, y, 3, t, y, NULL, 3, NAN, NAN, 0, &c), MECH_EINVAL);
    c.size = sizeof c;

    mech_trace *a = NULL, *b = NULL, *s = NULL;
    ck_assert_ok(mech_trace_create(&a, NULL, MECH_AXIS_STEP));
    ck_assert_ok(mech_trace_create(&b, NULL, MECH_AXIS_TIME));
    ck_assert_ok(mech_trace_create(&s, NULL, MECH_AXIS_STEP));
    ck_assert_ok(mech_trace_add_column(a, "y", NULL));
    ck_assert_ok(mech_trace_add_column(b, "y", NULL));
    ck_assert_ok(mech_trace_add_column(s, "y", NULL));
    ck_assert_fails_with(mech_trace_compare(a, "y", s, "y", NAN, NAN, 0, &c), MECH_ERANGE); /* no rows */
    for (int i = 0; i < 3; i++) {
        ck_assert_ok(mech_trace_append(a, t[i], &y[i], 1));
        ck_assert_ok(mech_trace_append(b, t[i], &y[i], 1));
        ck_assert_ok(mech_trace_append(s, down[i], &y[i], 1));
    }
    ck_assert_fails_with(mech_trace_compare(a, "y", b, "y", NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare(s, "y", a, "y", NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare(a, "nope", a, "y", NAN, NAN, 0, &c), MECH_ENOTFOUND);
    ck_assert_fails_with(mech_trace_compare(a, "y", a, "nope", NAN, NAN, 0, &c), MECH_ENOTFOUND);
    ck_assert_fails_with(mech_trace_compare(NULL, "y", a, "y", NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare(a, NULL, a, "y", NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare(a, "y", NULL, "y", NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare(a, "y", a, NULL, NAN, NAN, 0, &c), MECH_EINVAL);
    ck_assert_fails_with(mech_trace_compare(a, "y", a, "y", NAN, NAN, 0, NULL), MECH_EINVAL);
    ck_assert_ok(mech_trace_compare(a, "y", a, "y", NAN, NAN, 0, &c));
    ck_assert(c.n_points == 3 && c.max_abs == 0.0 && c.max_rel == 0.0);
    mech_trace_destroy(a);
    mech_trace_destroy(b);
    mech_trace_destroy(s);
}
END_TEST

static Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, axis_names);
    tcase_add_test(tc, create_sets_metadata);
    tcase_add_test(tc, columns_and_rows);
    tcase_add_test(tc, storage_bad_input);
    tcase_add_test(tc, metadata);
    tcase_add_loop_test(tc, round_trip_bitwise, 0, 4);
    tcase_add_loop_test(tc, hostile_files, 0, 4);
    tcase_add_test(tc, npz_structure_and_numpy_files);
    tcase_add_test(tc, files_bad_input);
    tcase_add_test(tc, ensemble_matches_direct_computation);
    tcase_add_test(tc, ensemble_standard_error_acceptance);
    tcase_add_test(tc, compare_linear_is_exact);
    tcase_add_test(tc, compare_noisy_copy);
    tcase_add_test(tc, compare_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return mech_test_run(trace_suite()); }

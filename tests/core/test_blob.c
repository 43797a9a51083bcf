/* The internal CRC-checked container (lib/core/blob.c), compiled into this
 * test directly because its functions are not exported. */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "core/blob.h"

static const char MAGIC[8] = {'M', 'E', 'C', 'H', 'T', 'E', 'S', 'T'};

static void tmp_path(char *buf, size_t cap, const char *tag)
{
    snprintf(buf, cap, "/tmp/mech_blob_%ld_%s.bin", (long)getpid(), tag);
}

START_TEST(crc32_known_answer)
{
    /* The standard check value of CRC-32/ISO-HDLC. */
    ck_assert_uint_eq(mech__crc32(0, "123456789", 9), 0xCBF43926u);
    /* Incremental use gives the same answer. */
    ck_assert_uint_eq(mech__crc32(mech__crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}
END_TEST

static long write_sample(const char *path)
{
    mech_err e = {0};
    mech_blob b;
    mech__blob_init(&b, &e);
    double v[3] = {1.5, -0.0, 1e300};
    float f[2] = {0.25f, -3.0f};
    mech__blob_put_u64(&b, 42);
    mech__blob_put_f64s(&b, v, 3);
    mech__blob_put_f32s(&b, f, 2);
    mech__blob_put_str(&b, "hello, world");
    ck_assert_ok(mech__blob_save(&b, path, MAGIC, 7));
    long len = (long)b.len;
    mech__blob_free(&b);
    return len;
}

START_TEST(round_trip_is_exact)
{
    char path[256];
    tmp_path(path, sizeof path, "rt");
    write_sample(path);
    mech_err e = {0};
    mech_reader r;
    ck_assert_ok(mech__reader_open(&r, path, MAGIC, &e));
    ck_assert_uint_eq(r.version, 7);
    ck_assert_uint_eq(mech__reader_u64(&r), 42);
    double v[3];
    float f[2];
    mech__reader_f64s(&r, v, 3);
    mech__reader_f32s(&r, f, 2);
    char *s = mech__reader_str(&r);
    ck_assert_ok(mech__reader_finish(&r));
    ck_assert(v[0] == 1.5 && v[2] == 1e300 && signbit(v[1]));
    ck_assert(f[0] == 0.25f && f[1] == -3.0f);
    ck_assert_str_eq(s, "hello, world");
    free(s);
    mech__reader_close(&r);
    remove(path);
}
END_TEST

START_TEST(truncated_and_corrupted_files_are_refused)
{
    char path[256], bad[256];
    tmp_path(path, sizeof path, "src");
    tmp_path(bad, sizeof bad, "bad");
    write_sample(path);
    FILE *f = fopen(path, "rb");
    unsigned char buf[512];
    size_t total = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* Every truncation, and a flipped bit at every position. */
    for (size_t cut = 0; cut <= total; cut++) {
        for (int flip = 0; flip < 2; flip++) {
            if (flip && cut == total) continue;
            unsigned char copy[512];
            memcpy(copy, buf, total);
            size_t len = flip ? total : cut;
            if (flip) copy[cut] ^= 0x10;
            f = fopen(bad, "wb");
            fwrite(copy, 1, len, f);
            fclose(f);
            mech_err e = {0};
            mech_reader r;
            mech_status st = mech__reader_open(&r, bad, MAGIC, &e);
            if (!flip && cut == total) {
                ck_assert_ok(st);
                mech__reader_close(&r);
                continue;
            }
            ck_assert_msg(st == MECH_EFORMAT, "cut %zu flip %d gave %d", cut, flip, st);
            ck_assert_str_ne(e.msg, "");
        }
    }
    remove(path);
    remove(bad);
}
END_TEST

START_TEST(reading_past_the_end_fails_cleanly)
{
    char path[256];
    tmp_path(path, sizeof path, "short");
    write_sample(path);
    mech_err e = {0};
    mech_reader r;
    ck_assert_ok(mech__reader_open(&r, path, MAGIC, &e));
    double big[64];
    mech__reader_f64s(&r, big, 64);
    ck_assert_int_eq(mech__reader_finish(&r), MECH_EFORMAT);
    mech__reader_close(&r);
    /* wrong magic, missing file */
    const char other[8] = {'O', 'T', 'H', 'E', 'R', 'M', 'A', 'G'};
    ck_assert_int_eq(mech__reader_open(&r, path, other, &e), MECH_EFORMAT);
    ck_assert_int_eq(mech__reader_open(&r, "/nonexistent/x", MAGIC, &e), MECH_EIO);
    /* unread bytes are reported */
    ck_assert_ok(mech__reader_open(&r, path, MAGIC, &e));
    (void)mech__reader_u64(&r);
    ck_assert_int_eq(mech__reader_finish(&r), MECH_EFORMAT);
    mech__reader_close(&r);
    remove(path);
}
END_TEST

START_TEST(memory_round_trip_matches_file_bytes)
{
    char path[256];
    tmp_path(path, sizeof path, "mem");
    long len = write_sample(path);
    mech_err e = {0};
    mech_blob b;
    mech__blob_init(&b, &e);
    double v[3] = {1.5, -0.0, 1e300};
    float f[2] = {0.25f, -3.0f};
    mech__blob_put_u64(&b, 42);
    mech__blob_put_f64s(&b, v, 3);
    mech__blob_put_f32s(&b, f, 2);
    mech__blob_put_str(&b, "hello, world");
    unsigned char mem[512], file[512];
    size_t total = (size_t)len + MECH_BLOB_HEADER_BYTES;
    ck_assert_int_eq(mech__blob_to_memory(&b, MAGIC, 7, mem, total - 1), MECH_ESHAPE);
    ck_assert_ok(mech__blob_to_memory(&b, MAGIC, 7, mem, total));
    mech__blob_free(&b);
    FILE *fp = fopen(path, "rb");
    ck_assert_uint_eq(fread(file, 1, sizeof file, fp), total);
    fclose(fp);
    ck_assert(memcmp(mem, file, total) == 0);
    mech_reader r;
    ck_assert_ok(mech__reader_from_memory(&r, mem, total, MAGIC, &e));
    ck_assert_uint_eq(mech__reader_u64(&r), 42);
    mech__reader_close(&r);
    for (size_t cut = 0; cut < total; cut++)
        ck_assert_int_eq(mech__reader_from_memory(&r, mem, cut, MAGIC, &e), MECH_EFORMAT);
    mem[total - 1] ^= 1;
    ck_assert_int_eq(mech__reader_from_memory(&r, mem, total, MAGIC, &e), MECH_EFORMAT);
    remove(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blob");
    TCase *tc = tcase_create("blob");
    tcase_add_test(tc, crc32_known_answer);
    tcase_add_test(tc, round_trip_is_exact);
    tcase_add_test(tc, truncated_and_corrupted_files_are_refused);
    tcase_add_test(tc, reading_past_the_end_fails_cleanly);
    tcase_add_test(tc, memory_round_trip_matches_file_bytes);
    suite_add_tcase(s, tc);
    return mech_test_run(s);
}

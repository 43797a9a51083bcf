/* Symmetric eigendecomposition, SVD and Cholesky solve over reference
 * LAPACK (Fortran interface, declared here; hidden string lengths passed
 * explicitly). Workspace is queried (lwork = -1) and allocated per call. */
#include <math.h>
#include <stdlib.h>

#include "linalg/shape.h"
#include "mechanics/linalg.h"

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t jobz_len, size_t uplo_len);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t jobz_len, size_t uplo_len);
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
             double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *iwork, int *info, size_t jobz_len);
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda,
             float *s, float *u, const int *ldu, float *vt, const int *ldvt,
             float *work, const int *lwork, int *iwork, int *info, size_t jobz_len);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
             size_t uplo_len);
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info,
             size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
             const int *lda, double *b, const int *ldb, int *info, size_t uplo_len);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a,
             const int *lda, float *b, const int *ldb, int *info, size_t uplo_len);

#define REAL double
#define NAME(f) f
#define LA(op) d##op##_
#include "linalg/lapack_impl.h"
#undef REAL
#undef NAME
#undef LA

#define REAL float
#define NAME(f) f##_f32
#define LA(op) s##op##_
#include "linalg/lapack_impl.h"

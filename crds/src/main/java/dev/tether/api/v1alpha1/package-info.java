/**
 * The Tether API, group {@code tether.dev}, version {@code v1alpha1}: what an administrator declares
 * ({@link dev.tether.api.v1alpha1.DisklessImage}, {@link dev.tether.api.v1alpha1.NodeProfile},
 * {@link dev.tether.api.v1alpha1.NodeCredential}) and what the operator reports back in their status.
 *
 * <p>Validation lives in the schema (annotations here, CEL rules where a rule spans fields) so that
 * the API server rejects a bad resource before any controller sees it.
 */
package dev.tether.api.v1alpha1;

package dev.tether.nodeapi;

/** The answer to {@code PUT persistence}: the archive is stored, durably, as {@code generation}. */
public record PersistenceSaved(long generation, long bytes) {
}

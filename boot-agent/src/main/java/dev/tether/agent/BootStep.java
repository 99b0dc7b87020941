package dev.tether.agent;

/** One step of the boot and how long it took; the node API receives these as the boot's phase timings. */
public record BootStep(String name, long millis) {
}

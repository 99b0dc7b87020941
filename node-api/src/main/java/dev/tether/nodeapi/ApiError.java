package dev.tether.nodeapi;

/**
 * Every refusal: a stable code for programs and a sentence for the console, e.g.
 * {@code {"error":"NotArmed","message":"NodeCredential default/n1 is disarmed: ..."}}.
 */
public record ApiError(String error, String message) {
}

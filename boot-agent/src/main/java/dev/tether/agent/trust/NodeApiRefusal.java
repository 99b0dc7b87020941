package dev.tether.agent.trust;

/**
 * The node API answered with a refusal ({@code {"error":"<Code>","message":"…"}}): retrying will not help;
 * the administrator has to change something. Callers turn it into advice that fits what they asked for.
 */
public final class NodeApiRefusal extends Exception {
    private static final long serialVersionUID = 1L;
    private static final int MAX_MESSAGE = 300;

    private final int status;
    private final String code;
    private final String serverMessage;

    NodeApiRefusal(String what, int status, String code, String serverMessage) {
        super("the node API refused " + what + " (HTTP " + status + (code.isEmpty() ? "" : " " + code)
                + (serverMessage.isEmpty() ? "" : ": " + serverMessage) + ")");
        this.status = status;
        this.code = code;
        this.serverMessage = serverMessage;
    }

    public int status() {
        return status;
    }

    /** The refusal's code ({@code NotArmed}, {@code BadCredentials}, …), or empty when the answer had none. */
    public String code() {
        return code;
    }

    /** The server's sentence, on one line and cut short, or empty. */
    public String serverMessage() {
        return serverMessage;
    }

    /** {@code ; node API: <sentence>}, or nothing when the server said nothing. */
    String serverSuffix() {
        return serverMessage.isEmpty() ? "" : " (node API: " + serverMessage + ")";
    }

    /** Makes a server's text safe for one console line: no control characters, bounded length. */
    static String clean(String text) {
        if (text == null) {
            return "";
        }
        String line = text.replaceAll("\\p{Cntrl}+", " ").strip();
        return line.length() <= MAX_MESSAGE ? line : line.substring(0, MAX_MESSAGE) + "...";
    }
}

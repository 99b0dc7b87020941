package dev.tether.operator.power;

import dev.tether.api.v1alpha1.Bmc.Auth;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * A Redfish BMC (DMTF DSP0266) over HTTPS: the power state from {@code /redfish/v1/Systems/{id}} ({@code PowerState})
 * and power changes through the system's {@code #ComputerSystem.Reset} action ({@code ResetType} On, ForceOff, GracefulShutdown,
 * ForceRestart). Authentication is HTTP basic on every request, or a Redfish session opened for one operation and
 * deleted after it.
 *
 * <p>Answers are untrusted: at most {@value #BODY_LIMIT} bytes are read, every request has a deadline, and a link the
 * BMC hands back (the Reset action's target, a system member, the session's location) is followed only when it is a
 * {@code /redfish/v1/} path on this BMC, so a BMC cannot send the operator (and the password) elsewhere.
 */
public final class RedfishBmc implements BmcClient {
    static final int BODY_LIMIT = 1024 * 1024;
    private static final String SYSTEMS = "/redfish/v1/Systems";
    private static final String SESSIONS = "/redfish/v1/SessionService/Sessions";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final URI base;
    private final String systemId;
    private final Auth auth;
    private final BmcCredentials credentials;
    private final Duration timeout;

    /**
     * @param http a client whose TLS trusts the BMC (see {@link RedfishTls}), closed with this; its connect timeout applies too
     * @param base {@code https://host:port}
     * @param systemId the ComputerSystem's id, or null for the only one
     * @param timeout the deadline of each request
     */
    public RedfishBmc(HttpClient http, URI base, String systemId, Auth auth, BmcCredentials credentials, Duration timeout) {
        this.http = http;
        this.base = base;
        this.systemId = systemId;
        this.auth = auth == null ? Auth.BASIC : auth;
        this.credentials = credentials;
        this.timeout = timeout;
    }

    @Override
    public PowerState powerState() throws BmcException {
        try (var session = open()) {
            JsonNode system = session.getJson(systemPath(session));
            String state = system.path("PowerState").asText("");
            return switch (state) {
                case "On", "PoweringOn" -> PowerState.ON;
                case "Off", "PoweringOff" -> PowerState.OFF;
                default -> throw new BmcException(BmcException.Kind.BAD_ANSWER, "the BMC at " + base.getAuthority()
                        + " gave no PowerState On or Off for its system (" + printable(state) + ").");
            };
        }
    }

    @Override
    public void powerOn() throws BmcException {
        reset("On");
    }

    @Override
    public void powerOff() throws BmcException {
        reset("ForceOff");
    }

    @Override
    public void softOff() throws BmcException {
        reset("GracefulShutdown");
    }

    @Override
    public void reboot() throws BmcException {
        reset("ForceRestart");
    }

    @Override
    public void close() {
        http.close();
    }

    private void reset(String resetType) throws BmcException {
        try (var session = open()) {
            String system = systemPath(session);
            JsonNode target = session.getJson(system).path("Actions").path("#ComputerSystem.Reset").path("target");
            String path = target.isTextual() ? ownPath(target.asText(), "its Reset action's target") : system + "/Actions/ComputerSystem.Reset";
            session.send("POST", path, Map.of("ResetType", resetType));
        }
    }

    private String systemPath(Session session) throws BmcException {
        if (systemId != null) {
            return SYSTEMS + "/" + systemId;
        }
        JsonNode members = session.getJson(SYSTEMS).path("Members");
        if (!members.isArray() || members.size() != 1) {
            throw new BmcException(BmcException.Kind.BAD_ANSWER, "the BMC at " + base.getAuthority() + " lists "
                    + (members.isArray() ? members.size() : "no") + " systems; name the one to use in spec.bmc.redfish.systemId.");
        }
        return ownPath(members.get(0).path("@odata.id").asText(""), "its system member");
    }

    /** A link from the BMC, if it is a Redfish path on this BMC (relative, or absolute with this BMC's scheme and authority). */
    private String ownPath(String link, String what) throws BmcException {
        URI uri;
        try {
            uri = URI.create(link);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        boolean sameBmc = uri != null && (uri.getScheme() == null && uri.getAuthority() == null
                || base.getScheme().equalsIgnoreCase(uri.getScheme()) && base.getAuthority().equalsIgnoreCase(uri.getAuthority()));
        String path = uri == null ? null : uri.getPath();
        if (!sameBmc || path == null || !path.startsWith("/redfish/v1/") || path.contains("/..") || uri.getQuery() != null) {
            throw new BmcException(BmcException.Kind.BAD_ANSWER, "the BMC at " + base.getAuthority() + " named " + what + " as "
                    + printable(link) + ", which is not a Redfish path on that BMC: not followed.");
        }
        return path;
    }

    private Session open() throws BmcException {
        if (auth == Auth.BASIC) {
            String token = Base64.getEncoder().encodeToString((credentials.username() + ":" + credentials.password()).getBytes(StandardCharsets.UTF_8));
            return new Session("Authorization", "Basic " + token, null);
        }
        var answer = exchange(HttpRequest.newBuilder(base.resolve(SESSIONS)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json(Map.of("UserName", credentials.username(), "Password", credentials.password())))),
                "open a session");
        String token = answer.headers().firstValue("X-Auth-Token").orElse(null);
        if (token == null || token.isEmpty() || token.length() > 4096) {
            throw new BmcException(BmcException.Kind.BAD_ANSWER, "the BMC at " + base.getAuthority() + " opened a session without an X-Auth-Token.");
        }
        Optional<String> location = answer.headers().firstValue("Location");
        return new Session("X-Auth-Token", token, location.isPresent() ? ownPath(location.get(), "its new session") : null);
    }

    /** One authenticated conversation; closing a Redfish session deletes it, so sessions do not pile up on the BMC. */
    private final class Session implements AutoCloseable {
        private final String header;
        private final String value;
        private final String location;

        Session(String header, String value, String location) {
            this.header = header;
            this.value = value;
            this.location = location;
        }

        JsonNode getJson(String path) throws BmcException {
            var answer = exchange(request(path).GET(), "read " + path);
            try {
                JsonNode node = JSON.readTree(answer.body());
                if (node == null || !node.isObject()) {
                    throw new BmcException(BmcException.Kind.BAD_ANSWER, "the BMC at " + base.getAuthority() + " answered " + path
                            + " with no JSON object.");
                }
                return node;
            } catch (IOException e) {
                throw new BmcException(BmcException.Kind.BAD_ANSWER, "the BMC at " + base.getAuthority() + " answered " + path
                        + " with malformed JSON.");
            }
        }

        void send(String method, String path, Map<String, String> body) throws BmcException {
            exchange(request(path).header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(json(body))), method + " " + path);
        }

        private HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(base.resolve(path)).header(header, value);
        }

        @Override
        public void close() {
            if (location != null) {
                try {
                    exchange(request(location).DELETE(), "close its session");
                } catch (BmcException e) {
                    // The BMC expires sessions by itself; failing to delete one does not undo what was done.
                }
            }
        }
    }

    private record Answer(int status, HttpHeaders headers, byte[] body) {}

    private Answer exchange(HttpRequest.Builder builder, String what) throws BmcException {
        HttpRequest request = builder.timeout(timeout).header("Accept", "application/json").header("OData-Version", "4.0").build();
        HttpResponse<InputStream> response;
        byte[] body;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                body = in.readNBytes(BODY_LIMIT + 1);
            }
        } catch (HttpTimeoutException e) {
            throw new BmcException(BmcException.Kind.UNREACHABLE, "the BMC at " + base.getAuthority() + " did not answer within "
                    + timeout.toSeconds() + " s (" + what + ").");
        } catch (SSLException e) {
            throw new BmcException(BmcException.Kind.UNREACHABLE, "no TLS connection to the BMC at " + base.getAuthority() + " ("
                    + printable(e.getMessage()) + "): give its CA as ca.crt in the credentials Secret.");
        } catch (IOException e) {
            throw new BmcException(BmcException.Kind.UNREACHABLE, "cannot reach the BMC at " + base.getAuthority() + " ("
                    + printable(String.valueOf(e.getMessage())) + ").");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BmcException(BmcException.Kind.UNREACHABLE, "interrupted while asking the BMC at " + base.getAuthority());
        }
        if (body.length > BODY_LIMIT) {
            throw new BmcException(BmcException.Kind.BAD_ANSWER, "the BMC at " + base.getAuthority() + " sent more than "
                    + BODY_LIMIT / 1024 + " KiB to " + what + ": not read.");
        }
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            throw new BmcException(BmcException.Kind.AUTHENTICATION, "the BMC at " + base.getAuthority() + " refused user "
                    + credentials.username() + " (HTTP " + status + ") to " + what + "; fix the credentials Secret.");
        }
        if (status < 200 || status > 299) {
            throw new BmcException(BmcException.Kind.REFUSED, "the BMC at " + base.getAuthority() + " refused to " + what + " (HTTP "
                    + status + redfishMessage(body) + ").");
        }
        return new Answer(status, response.headers(), body);
    }

    /** The message of a Redfish error body ({@code error.@Message.ExtendedInfo[0].Message} or {@code error.message}), if any. */
    private String redfishMessage(byte[] body) {
        try {
            JsonNode error = JSON.readTree(body).path("error");
            String message = error.path("@Message.ExtendedInfo").path(0).path("Message").asText(error.path("message").asText(""));
            return message.isEmpty() ? "" : ": " + printable(message);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Text from the BMC as it may go into a status message: never the password (a hostile BMC could echo the one a
     * session request sent it), printable characters only, and short.
     */
    private String printable(String text) {
        String clean = (credentials.password().isEmpty() ? text : text.replace(credentials.password(), "***"))
                .replaceAll("[^\\x20-\\x7E]", "?");
        return clean.length() > 200 ? clean.substring(0, 200) + "..." : clean;
    }

    private static String json(Map<String, String> body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

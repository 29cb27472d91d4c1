package dev.plumb.web.config;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The optional login for the web UI, the API and /actuator/prometheus (HTTP basic).
 *
 * @param username the one user; with password set, every page and endpoint but
 *                 /actuator/health asks for it
 * @param password its password: {@code {bcrypt}$2a$…} (`plumb hash-password` makes one),
 *                 {@code {noop}secret}, or plain text (taken as {@code {noop}})
 */
@ConfigurationProperties("plumb.web.auth")
public record WebAuthProperties(String username, String password) {
    public WebAuthProperties {
        username = username == null || username.isBlank() ? null : username;
        password = password == null || password.isEmpty() ? null : password;
        if ((username == null) != (password == null)) {
            throw new IllegalArgumentException("plumb.web.auth needs both username and password, or neither; got only "
                    + (username != null ? "username" : "password"));
        }
    }

    public boolean enabled() {
        return username != null;
    }

    /** Never the password, not even hashed. */
    @Override
    public String toString() {
        return "WebAuthProperties[username=" + username + ", password=" + (password == null ? "none" : "(set)") + "]";
    }
}

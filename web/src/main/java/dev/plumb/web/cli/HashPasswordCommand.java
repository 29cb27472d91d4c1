package dev.plumb.web.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** `plumb hash-password`: the {bcrypt} value for plumb.web.auth.password, so the password itself is stored nowhere. */
@Command(name = "hash-password", mixinStandardHelpOptions = true,
        description = {"Print a bcrypt hash of a password for plumb.web.auth.password (PLUMB_WEB_AUTH_PASSWORD).",
                "Asks for the password twice on a terminal; otherwise reads it from the first line of standard input."},
        footer = {"", "Example:  plumb hash-password        (then: PLUMB_WEB_AUTH_USERNAME=admin PLUMB_WEB_AUTH_PASSWORD='{bcrypt}…' plumb server)",
                "          printf '%%s\\n' \"$PW\" | plumb hash-password"})
public final class HashPasswordCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String password;
        java.io.Console console = System.console();
        if (console != null) {
            char[] first = console.readPassword("Password: ");
            char[] second = console.readPassword("Again: ");
            if (first == null || second == null || !java.util.Arrays.equals(first, second)) {
                throw new ParameterException(spec.commandLine(), "the two passwords differ");
            }
            password = new String(first);
        } else {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            password = in.readLine();
        }
        if (password == null || password.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "no password given (type it, or pipe it in)");
        }
        spec.commandLine().getOut().println("{bcrypt}" + new BCryptPasswordEncoder().encode(password));
        spec.commandLine().getOut().flush();
        return 0;
    }
}

package dev.plumb.web.alerts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/** The labels of an alert and its fingerprint (a hash of the labels, as Alertmanager's). */
public final class AlertLabels {
    public static final String ALERTNAME = "PlumbLinearLeak";

    private AlertLabels() {
    }

    /** Sorted, so equal labels always print (and hash) the same. */
    public static Map<String, String> of(AlertRule rule, String service, String deployment, String host) {
        Map<String, String> labels = new TreeMap<>();
        labels.put("alertname", ALERTNAME);
        labels.put("rule", rule.name());
        labels.put("rule_key", rule.key());
        labels.put("service", service);
        labels.put("deployment", deployment);
        labels.put("host", host);
        labels.put("severity", "warning");
        return labels;
    }

    /** 16 hex digits of SHA-256 over name=value pairs in label order. */
    public static String fingerprint(Map<String, String> labels) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            new TreeMap<>(labels).forEach((k, v) -> {
                sha.update(k.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(v.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            });
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}

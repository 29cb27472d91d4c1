package dev.plumb.web.cli;

/** Human byte counts for terminal output (1536 → "1.5 KiB"). */
final class Bytes {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Bytes() {
    }

    static String human(long bytes) {
        double v = Math.abs((double) bytes);
        int unit = 0;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        String sign = bytes < 0 ? "-" : "";
        return unit == 0 ? sign + (long) v + " B" : String.format("%s%.1f %s", sign, v, UNITS[unit]);
    }
}

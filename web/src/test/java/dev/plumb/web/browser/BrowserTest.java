package dev.plumb.web.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import dev.plumb.web.cli.ServerRole;
import dev.plumb.web.support.SyntheticFleet;
import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import dev.plumb.webtest.TestWebApp;
import java.io.File;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The pages in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium):
 * what is drawn is read back from the DOM and from the ECharts instances. Skipped, saying why,
 * when the browser or its driver is not installed (.ci/run installs both).
 */
class BrowserTest {
    static final String CHROMIUM = System.getenv().getOrDefault("PLUMB_CHROMIUM", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getenv().getOrDefault("PLUMB_CHROMEDRIVER", "/usr/bin/chromedriver");

    static ChromeDriver driver;
    static WebDriverWait wait;
    static final String FLEET = "brfleet";
    static SyntheticSession session;
    static SyntheticFleet fleet;
    static String base;

    @BeforeAll
    static void setUp() throws Exception {
        Assumptions.assumeTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
                "browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
                        + " (apt-get install chromium chromium-driver; .ci/run does)");
        session = SyntheticSession.create(TestDatabase.dataSource(), "browser-svc");
        fleet = SyntheticFleet.create(TestDatabase.dataSource(), FLEET, Instant.parse("2023-06-01T00:00:00Z"));
        base = TestWebApp.baseUrl();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1366,900");
        // the console, where Chromium reports Content-Security-Policy violations
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    }

    @AfterAll
    static void tearDown() {
        if (driver != null) {
            driver.quit();
        }
    }

    /**
     * After every test: the pages did everything above under the server's Content-Security-Policy,
     * and Chromium refused nothing (it logs each refused script, style, frame or connection).
     */
    @AfterEach
    void noContentSecurityPolicyViolations() {
        if (driver == null) {
            return;
        }
        List<String> refused = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage)
                .filter(m -> m.contains("Content Security Policy") || m.contains("Refused to"))
                .toList();
        assertThat(refused).as("CSP violations in the browser console").isEmpty();
    }

    static Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    static List<WebElement> flameNodes() {
        return driver.findElements(By.cssSelector("#flamegraph .flame-node"));
    }

    static WebElement flameNode(String name) {
        return flameNodes().stream().filter(e -> e.getText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no flamegraph frame " + name));
    }

    static void waitForRows(int n) {
        wait.until(d -> d.findElements(By.cssSelector("#leak-rows tr.group")).size() == n
                && "false".equals(d.findElement(By.id("leak-table")).getDomAttribute("aria-busy")));
    }

    /** The dashboard's rows, as "level name" strings (read in one go: the table is redrawn on every load). */
    @SuppressWarnings("unchecked")
    static List<String> fleetRows() {
        return (List<String>) js("return [...document.querySelectorAll('#fleet-rows tr.node')]"
                + ".map(r => r.dataset.level + ' ' + r.dataset.name);");
    }

    static void waitForFleetRows(List<String> expected) {
        wait.withMessage(() -> "fleet rows " + fleetRows() + ", status: "
                + driver.findElement(By.id("fleet-status")).getText()).until(d -> fleetRows().equals(expected)
                && Boolean.TRUE.equals(js("return document.getElementById('fleet-table')"
                        + ".getAttribute('aria-busy') === 'false';")));
    }

    static WebElement fleetRow(String level, String name) {
        return driver.findElement(By.cssSelector("#fleet-rows tr.node-" + level + "[data-name='" + name + "']"));
    }

    static List<String> everything(SyntheticFleet f, List<String> services, List<String> deployments) {
        List<String> rows = new java.util.ArrayList<>();
        for (String s : services) {
            rows.add("service " + s);
            for (String d : deployments) {
                rows.add("deployment " + d);
                f.hosts().forEach(h -> rows.add("host " + h));
            }
        }
        return rows;
    }

    @Test
    void dashboardListsTheSession() {
        driver.get(base + "/?q=browser-svc");
        WebElement link = wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("a.session-link[href='/sessions/" + session.id + "']")));
        assertThat(driver.findElement(By.id("fleet-rows")).getText()).contains("browser-svc").contains("v1.2.3")
                .contains("host-a").contains("157 KiB");
        link.click();
        wait.until(ExpectedConditions.urlContains("/sessions/" + session.id));
        assertThat(driver.findElement(By.id("session-service")).getText()).isEqualTo("browser-svc");
    }

    @Test
    @SuppressWarnings("unchecked")
    void fleetDashboardChartsSearchTimeRangeAndDrillDown() {
        driver.get(base + "/?q=" + FLEET);
        // searching shows every level: services, their deployments (newest first), their hosts
        waitForFleetRows(everything(fleet, fleet.services(), List.of("v2", "v1")));
        WebElement v1 = fleetRow("deployment", "v1");
        // two hosts × 160 340 B
        assertThat(v1.getText()).contains("313 KiB").containsIgnoringCase("linear").contains("/s");
        // every row's sparkline and the overview are drawn by ECharts on a canvas, with data
        List<Map<String, Object>> charts = (List<Map<String, Object>>) js(
                "return [...document.querySelectorAll('#fleet-rows .spark'), document.getElementById('fleet-chart')]"
                        + ".map(el => { const c = echarts.getInstanceByDom(el); const s = c ? c.getOption().series : [];"
                        + " return {canvas: !!el.querySelector('canvas'), series: s.map(x => x.name),"
                        + " points: s.length ? s[0].data.length : 0,"
                        + " peak: s.length ? Math.max(...s[0].data.map(p => p[1])) : 0}; });");
        assertThat(charts).hasSize(15);
        for (Map<String, Object> chart : charts) {
            assertThat(chart.get("canvas")).isEqualTo(true);
            assertThat((List<String>) chart.get("series")).containsExactly("heap", "leaked");
            assertThat(((Number) chart.get("points")).intValue()).isEqualTo(60);
            assertThat(((Number) chart.get("peak")).longValue()).isPositive();
        }

        // zooming the overview's slider to its first tenth (v1's 100 s of 1100) makes that the page's range
        js("echarts.getInstanceByDom(document.getElementById('fleet-chart'))"
                + ".dispatchAction({type: 'dataZoom', start: 0, end: 10});");
        waitForFleetRows(everything(fleet, fleet.services(), List.of("v1")));
        assertThat(driver.getCurrentUrl()).contains("from=2023-06-01T00").contains("to=2023-06-01T00");
        assertThat(driver.findElement(By.id("fleet-range")).getDomProperty("value")).isEqualTo("custom");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("fleet-range"))).selectByValue("all");
        waitForFleetRows(everything(fleet, fleet.services(), List.of("v2", "v1")));

        // search: one service; the URL says so
        WebElement search = driver.findElement(By.id("fleet-search"));
        search.clear();
        search.sendKeys(fleet.checkout());
        waitForFleetRows(everything(fleet, List.of(fleet.checkout()), List.of("v2", "v1")));
        assertThat(driver.getCurrentUrl()).contains("q=" + fleet.checkout());

        // a custom time range around v2 only
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("fleet-range"))).selectByValue("custom");
        WebElement from = driver.findElement(By.id("fleet-from"));
        WebElement to = driver.findElement(By.id("fleet-to"));
        from.clear();
        from.sendKeys(fleet.v2Start.toString());
        to.clear();
        to.sendKeys(fleet.v2Start.plusSeconds(100).toString());
        driver.findElement(By.id("fleet-apply")).click();
        waitForFleetRows(everything(fleet, List.of(fleet.checkout()), List.of("v2")));
        assertThat(driver.getCurrentUrl()).contains("from=").contains("to=");
        assertThat(fleetRow("deployment", "v2").getText()).contains("118 KiB"); // two hosts × 60 340 B: the fixed leak

        // the last hour has none of it: an empty state that offers all time
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("fleet-range"))).selectByValue("1h");
        wait.until(d -> d.findElement(By.id("fleet-empty")).isDisplayed());
        assertThat(driver.findElement(By.id("fleet-empty")).getText()).contains("No processes matching");
        assertThat(driver.getCurrentUrl()).contains("range=1h").doesNotContain("from=");
        driver.findElement(By.cssSelector("#fleet-empty button")).click();
        waitForFleetRows(everything(fleet, List.of(fleet.checkout()), List.of("v2", "v1")));

        // drill down: service → deployment → host → session
        fleetRow("service", fleet.checkout()).findElement(By.cssSelector("a.drill")).click();
        wait.until(ExpectedConditions.urlContains("service=" + fleet.checkout()));
        waitForFleetRows(List.of("deployment v2", "host " + fleet.hosts().get(0), "host " + fleet.hosts().get(1),
                "deployment v1", "host " + fleet.hosts().get(0), "host " + fleet.hosts().get(1)));
        assertThat(driver.findElement(By.id("fleet-title")).getText()).isEqualTo(fleet.checkout());
        fleetRow("deployment", "v1").findElement(By.cssSelector("a.drill")).click();
        wait.until(ExpectedConditions.urlContains("deployment=v1"));
        waitForFleetRows(List.of("host " + fleet.hosts().get(0), "host " + fleet.hosts().get(1)));
        fleetRow("host", fleet.hosts().get(1)).findElement(By.cssSelector("a.drill")).click();
        wait.until(ExpectedConditions.urlContains("host=" + fleet.hosts().get(1)));
        waitForFleetRows(List.of("host " + fleet.hosts().get(1)));
        long id = fleet.session(fleet.checkout(), "v1", fleet.hosts().get(1)).id;
        WebElement process = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#process-rows a[href='/sessions/" + id + "']")));
        assertThat(driver.findElement(By.id("process-rows")).getText()).containsIgnoringCase("linear");
        process.click();
        wait.until(ExpectedConditions.urlContains("/sessions/" + id));
        assertThat(driver.findElement(By.id("session-service")).getText()).isEqualTo(fleet.checkout());
    }

    @Test
    void deploymentCompareFromTheDashboard() {
        driver.get(base + "/?q=" + fleet.checkout());
        waitForFleetRows(everything(fleet, List.of(fleet.checkout()), List.of("v2", "v1")));
        fleetRow("service", fleet.checkout()).findElement(By.cssSelector("a.compare-link")).click();
        wait.until(ExpectedConditions.urlContains("/compare?service=" + fleet.checkout()));
        assertThat(driver.getCurrentUrl()).contains("base=v1").contains("target=v2");
        wait.withMessage(() -> driver.findElement(By.id("compare-status")).getText())
                .until(d -> !d.findElements(By.cssSelector("#delta-rows tr")).isEmpty()
                        && "false".equals(d.findElement(By.id("delta-table")).getDomAttribute("aria-busy")));
        WebElement first = driver.findElements(By.cssSelector("#delta-rows tr")).get(0);
        assertThat(first.getText()).contains("honeycomb::span::new").contains("97.7 KiB").contains("-97.7 KiB")
                .containsIgnoringCase("fixed");
        assertThat(first.findElement(By.cssSelector(".badge.change-fixed")).isDisplayed()).isTrue();
        assertThat(driver.findElement(By.id("summary-base")).getText()).contains("v1").contains("2 processes");
        assertThat(driver.findElements(By.cssSelector("#diff-flamegraph .flame-node")))
                .extracting(WebElement::getText).contains("honeycomb::span::new");
        assertThat(new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("compare-service")))
                .getFirstSelectedOption().getText()).isEqualTo(fleet.checkout());
        assertThat(driver.findElement(By.id("compare-mode")).getDomProperty("value")).isEqualTo("deployments");
    }

    @Test
    @SuppressWarnings("unchecked")
    void sessionGraphTimeRangeFilterAndFlamegraphZoom() {
        driver.get(base + "/sessions/" + session.id + "?flame=leaked");
        waitForRows(4);
        List<WebElement> rows = driver.findElements(By.cssSelector("#leak-rows tr.group"));
        assertThat(rows.get(0).getText()).contains("97.7 KiB").contains("honeycomb::span::new").containsIgnoringCase("linear");
        // the memory graph: two series, drawn by ECharts
        wait.until(d -> js("const c = echarts.getInstanceByDom(document.getElementById('memory-chart'));"
                + "return c && c.getOption().series.length === 2;"));
        assertThat((List<String>) js("return echarts.getInstanceByDom(document.getElementById('memory-chart'))"
                + ".getOption().series.map(s => s.name);")).containsExactly("heap", "leaked");
        // expanding a row shows the full backtrace with file:line
        rows.get(0).findElement(By.cssSelector("button.toggle")).click();
        assertThat(driver.findElement(By.cssSelector("#leak-rows tr.backtrace:not([hidden])")).getText())
                .contains("src/tracing/dispatch.rs:11");

        // flamegraph of leaked bytes: zoom into main, whose children then fill the width
        wait.until(d -> flameNodes().stream().anyMatch(e -> e.getText().equals("main")));
        assertThat(driver.findElement(By.id("flame-status")).getText()).contains("157 KiB");
        flameNode("main").click();
        wait.until(d -> flameNode("main").getDomAttribute("style").contains("width: 100%"));
        String configWidth = flameNode("config::load").getDomAttribute("style");
        assertThat(configWidth).contains("width: 82.8"); // 50 000 of main's 60 340 bytes
        assertThat(flameNode("all").getDomAttribute("class")).contains("ancestor");
        // search highlights, and says how much matched
        driver.findElement(By.id("flame-search")).sendKeys("ring");
        wait.until(d -> d.findElement(By.id("flame-match")).getText().equals("matched: 6.4%"));
        assertThat(driver.findElements(By.cssSelector("#flamegraph .flame-node.match")))
                .extracting(WebElement::getText).containsExactly("ring::push");
        assertThat(driver.getCurrentUrl()).contains("search=ring");
        driver.findElement(By.id("flame-reset")).click();
        wait.until(d -> flameNode("proxy::handle").isDisplayed());

        // choose 50 s … 60 s on the slider: the leak table and the flamegraph follow, and so does the URL
        js("echarts.getInstanceByDom(document.getElementById('memory-chart'))"
                + ".dispatchAction({type: 'dataZoom', start: 50, end: 60});");
        wait.until(ExpectedConditions.urlContains("from="));
        waitForRows(2); // the linear leak's 10 allocations and the tiny one at 50 s
        rows = driver.findElements(By.cssSelector("#leak-rows tr.group"));
        assertThat(rows.get(0).getText()).contains("9.8 KiB");
        assertThat(rows.get(1).getText()).contains("100 B").contains("tiny::leak");
        assertThat(driver.findElement(By.id("range-label")).getText()).contains("00:00:50").contains("00:01:00");
        wait.until(d -> d.findElement(By.id("flame-status")).getText().contains("9.9 KiB"));
        assertThat(flameNodes()).extracting(WebElement::getText).doesNotContain("config::load");

        // sorting by count is a URL parameter too
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("filter-sort"))).selectByValue("count");
        wait.until(ExpectedConditions.urlContains("sort=count"));
        Map<String, Object> state = (Map<String, Object>) js("return {url: location.search};");
        assertThat((String) state.get("url")).contains("flame=leaked");
    }

    @Test
    @SuppressWarnings("unchecked")
    void scriptConsoleDrawsOneSeriesPerAddAndPointsAtErrors() {
        driver.get(base + "/script?session=" + session.id);
        wait.until(d -> js("const c = echarts.getInstanceByDom(document.getElementById('script-chart'));"
                + "return c && c.getOption().series.length === 2;"));
        List<Map<String, Object>> series = (List<Map<String, Object>>) js(
                "return echarts.getInstanceByDom(document.getElementById('script-chart')).getOption().series"
                        + ".map(s => ({name: s.name, last: s.data[s.data.length - 1][1]}));");
        assertThat(series).extracting(s -> s.get("name")).containsExactly("HoneycombLayer", "all leaked");
        assertThat(((Number) series.get(0).get("last")).longValue()).isEqualTo(SyntheticSession.LINEAR_BYTES);
        assertThat(((Number) series.get(1).get("last")).longValue()).isEqualTo(SyntheticSession.LEAKED_BYTES);

        WebElement text = driver.findElement(By.id("script-text"));
        text.clear();
        text.sendKeys("graph()\n.add(\"x\", allocations().only_leakd())\n.save();");
        driver.findElement(By.id("script-run")).click();
        wait.until(d -> d.findElement(By.id("script-status")).getText().startsWith("line 2, column"));
        assertThat(driver.findElement(By.id("script-status")).getText())
                .contains("allocations have no method 'only_leakd'");
        assertThat(driver.findElement(By.id("script-status")).getDomAttribute("class")).contains("error");

        text.clear();
        text.sendKeys("graph().add(\"<b>temporary</b>\", allocations().only_temporary()).save();");
        driver.findElement(By.id("script-run")).click();
        wait.withMessage(() -> "script status: " + driver.findElement(By.id("script-status")).getText()
                + "; script: " + driver.findElement(By.id("script-text")).getDomProperty("value"))
                .until(d -> js("return echarts.getInstanceByDom(document.getElementById('script-chart'))"
                + ".getOption().series.length === 1;"));
        assertThat(driver.findElement(By.id("script-status")).getText()).contains("<b>temporary</b>: 0 B");
        assertThat(driver.findElements(By.tagName("b"))).isEmpty();
    }

    @Test
    void everyPageWorksUnderTheContentSecurityPolicy() {
        // the console must work, so a missing log would not pass for a clean one
        js("console.error('Refused to test the console: ' + 'probe');");
        assertThat(driver.manage().logs().get(LogType.BROWSER).getAll()).extracting(LogEntry::getMessage)
                .anyMatch(m -> m.contains("probe"));

        driver.get(base + "/sessions/" + session.id);
        waitForRows(4);
        wait.until(d -> js("const c = echarts.getInstanceByDom(document.getElementById('memory-chart'));"
                + "return c && c.getOption().series.length === 2;"));
        // a tooltip: ECharts writes its markup (with style attributes) into the page
        WebElement chart = driver.findElement(By.id("memory-chart"));
        new Actions(driver).moveToElement(chart).moveByOffset(40, 0).perform();
        wait.until(d -> js("return [...document.querySelectorAll('#memory-chart div')]"
                + ".some(e => e.textContent.includes('heap') && getComputedStyle(e).display !== 'none');"));
        flameNode("main").click();
        wait.until(d -> flameNode("main").getDomAttribute("style").contains("width: 100%"));

        driver.get(base + "/?service=browser-svc&deployment=v1.2.3&host=host-a");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("a[href='/sessions/" + session.id + "']")));
        driver.get(base + "/compare?base=" + session.id + "&target=" + session.id);
        wait.until(d -> !d.findElements(By.cssSelector(".flame-node")).isEmpty());
        driver.get(base + "/alerts");
        wait.until(d -> !d.findElements(By.cssSelector("#rule-rows tr")).isEmpty());
        driver.get(base + "/compare?service=browser-svc&base=v1.2.3&target=v1.2.3");
        wait.until(d -> !d.findElement(By.tagName("main")).getText().isBlank());
        driver.get(base + "/script?session=" + session.id);
        wait.until(d -> js("const c = echarts.getInstanceByDom(document.getElementById('script-chart'));"
                + "return c && c.getOption().series.length === 2;"));
    }

    /**
     * Function names, hosts and services with markup in them, drawn by the pages' scripts (leak
     * table, flamegraphs, compare tables): shown as text, no element made of them, no script run.
     * An alert() would fail the test (Selenium refuses to go on with an open alert), and so would
     * an inline handler the CSP blocked (the console check after each test).
     */
    @Test
    void hostileNamesAreDrawnAsText() throws Exception {
        String script = "<script>alert(1)</script>";
        String img = "\"><img src=x onerror=alert(1)>";
        SyntheticSession a = SyntheticSession.create(TestDatabase.dataSource(), "xss-a", script);
        SyntheticSession b = SyntheticSession.create(TestDatabase.dataSource(), "xss-b", img);
        String noMarkup = "return document.querySelectorAll('img, iframe, object, embed').length === 0"
                + " && [...document.scripts].every(s => s.src && s.src.startsWith(location.origin + '/'));";

        WebDriverWait fresh = new WebDriverWait(driver, Duration.ofSeconds(30));
        for (SyntheticSession s : List.of(a, b)) {
            String name = s == a ? script : img;
            driver.get(base + "/sessions/" + s.id);
            waitForRows(4);
            fresh.until(d -> flameNodes().stream().anyMatch(e -> e.getText().equals(name)));
            assertThat(driver.findElement(By.id("leak-rows")).getText()).contains(name);
            assertThat((Boolean) js(noMarkup)).isTrue();
        }
        driver.get(base + "/compare?base=" + a.id + "&target=" + b.id);
        fresh.until(d -> (Boolean) js("return [...document.querySelectorAll('#compare-page .flame-node')]"
                + ".some(e => e.textContent === arguments[0]);", img));
        assertThat((String) js("return document.querySelector('main').textContent;")).contains(script).contains(img);
        assertThat((Boolean) js(noMarkup)).isTrue();

        for (SyntheticSession s : List.of(a, b)) {
            String name = s == a ? script : img;
            driver.get(base + "/?" + query("service", s.service, "deployment", name, "host", name));
            fresh.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("a[href='/sessions/" + s.id + "']")));
            assertThat(driver.findElement(By.tagName("body")).getText()).contains(name);
            assertThat((Boolean) js(noMarkup)).isTrue();
        }
    }

    private static String query(String... keysAndValues) {
        StringBuilder q = new StringBuilder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            q.append(i == 0 ? "" : "&").append(keysAndValues[i]).append('=')
                    .append(java.net.URLEncoder.encode(keysAndValues[i + 1], java.nio.charset.StandardCharsets.UTF_8));
        }
        return q.toString();
    }

    /**
     * With a login (plumb.web.auth.*): the pages, their API calls and a POST all work once the
     * browser has the credentials (given in the address, as a user may bookmark it), and the
     * cross-site check lets the page's own POST through.
     */
    @Test
    @SuppressWarnings("unchecked")
    void pagesWorkWithALogin() throws Exception {
        var db = TestDatabase.get();
        try (RunningServer secured = RunningServer.start(new ServerOptions(0, 0, null, db.jdbcUrl(), db.user(), "", null,
                List.of("--plumb.web.auth.username=admin", "--plumb.web.auth.password={noop}pa55 word")), ServerRole.WEB)) {
            String login = "http://admin:pa55%20word@localhost:" + secured.webPort();
            driver.get(login + "/sessions/" + session.id);
            waitForRows(4);
            wait.until(d -> js("const c = echarts.getInstanceByDom(document.getElementById('memory-chart'));"
                    + "return c && c.getOption().series.length === 2;"));
            driver.get(login + "/script?session=" + session.id);
            WebDriverWait fresh = new WebDriverWait(driver, Duration.ofSeconds(30));
            fresh.until(d -> js("const c = echarts.getInstanceByDom(document.getElementById('script-chart'));"
                    + "return c && c.getOption().series.length === 2;"));
            driver.get(login + "/alerts");
            fresh.until(d -> !d.findElements(By.cssSelector("#rule-rows tr")).isEmpty());
        }
    }
}

package dev.plumb.web.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import dev.plumb.web.cli.ServerRole;
import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import dev.plumb.webtest.TestWebApp;
import java.io.File;
import java.time.Duration;
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
    static SyntheticSession session;
    static String base;

    @BeforeAll
    static void setUp() throws Exception {
        Assumptions.assumeTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
                "browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
                        + " (apt-get install chromium chromium-driver; .ci/run does)");
        session = SyntheticSession.create(TestDatabase.dataSource(), "browser-svc");
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

    @Test
    void dashboardListsTheSession() {
        driver.get(base + "/");
        WebElement link = wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("a[href='/sessions/" + session.id + "']")));
        assertThat(driver.findElement(By.tagName("body")).getText()).contains("browser-svc").contains("v1.2.3");
        link.click();
        wait.until(ExpectedConditions.urlContains("/sessions/" + session.id));
        assertThat(driver.findElement(By.id("session-service")).getText()).isEqualTo("browser-svc");
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

        driver.get(base + "/");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("a[href='/sessions/" + session.id + "']")));
        driver.get(base + "/compare?base=" + session.id + "&target=" + session.id);
        wait.until(d -> !d.findElements(By.cssSelector(".flame-node")).isEmpty());
        driver.get(base + "/alerts");
        wait.until(d -> !d.findElements(By.cssSelector("#rule-rows tr")).isEmpty());
        driver.get(base + "/services/browser-svc/compare?base=v1.2.3&target=v1.2.3");
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

        driver.get(base + "/");
        fresh.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("a[href='/sessions/" + b.id + "']")));
        assertThat(driver.findElement(By.tagName("body")).getText()).contains(script).contains(img);
        assertThat((Boolean) js(noMarkup)).isTrue();
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

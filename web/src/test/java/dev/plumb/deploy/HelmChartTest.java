package dev.plumb.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * helm/plumb rendered in Java (no helm binary here) and checked against the Dockerfile and
 * what the applications read: images, ports, probes, environment, Secret keys, labels.
 */
class HelmChartTest {
    static final Map<String, Object> REQUIRED = Map.of(
            "database", Map.of("url", "jdbc:postgresql://db.example:5432/plumb", "password", "pw"),
            "gatherer", Map.of("token", "tok"));
    static final HelmChart.Release release = HelmChart.render("r1", REQUIRED);

    @Test
    void rendersTheWholeFleetSetup() {
        assertThat(release.manifests()).extracting(m -> m.get("kind") + "/" + Repo.at(m, "metadata", "name"))
                .containsExactlyInAnyOrder("ConfigMap/r1-plumb", "Secret/r1-plumb", "Deployment/r1-plumb-gatherer",
                        "Service/r1-plumb-gatherer", "Deployment/r1-plumb-web", "Service/r1-plumb-web",
                        "DaemonSet/r1-plumb-agent");
        assertThat((Integer) Repo.at(deployment("gatherer"), "spec", "replicas")).isGreaterThan(1);
    }

    @Test
    void anExternalDatabaseIsRequired() {
        assertThatThrownBy(() -> HelmChart.render("r1", Map.of()))
                .hasMessageContaining("database.url is required: Plumb needs an external PostgreSQL");
    }

    @Test
    void imagesAreDockerfileTargets() {
        var stages = DockerfileStages.parse(Repo.read("Dockerfile"));
        String prefix = Repo.at(release.values(), "image", "repositoryPrefix");
        for (Map<String, Object> container : allContainers()) {
            String image = (String) container.get("image");
            assertThat(image).as("image of %s", container.get("name")).startsWith(prefix).endsWith(":0.1.0");
            assertThat(stages).containsKey(image.substring(prefix.length(), image.lastIndexOf(':')));
        }
    }

    @Test
    void containerPortsAreTheOnesTheRolesListenOn() {
        assertThat(ports(container("gatherer"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "agents", AppSettings.defaultPort("gatherer", "--gatherer-port"),
                "http", AppSettings.defaultPort("gatherer", "--http-port")));
        assertThat(ports(container("web"))).containsExactlyEntriesOf(Map.of("http", AppSettings.defaultPort("web", "--web-port")));
        assertThat((List<String>) container("gatherer").get("args")).containsExactly("gatherer");
        assertThat((List<String>) container("web").get("args")).containsExactly("web");
    }

    @Test
    void servicesSelectTheirPodsAndTargetNamedPorts() {
        for (String role : List.of("gatherer", "web")) {
            Map<String, Object> service = release.named("Service", "r1-plumb-" + role);
            Map<String, Object> podLabels = Repo.at(deployment(role), "spec", "template", "metadata", "labels");
            assertThat(podLabels).containsAllEntriesOf(Repo.at(service, "spec", "selector"));
            assertThat(podLabels).containsAllEntriesOf(Repo.at(deployment(role), "spec", "selector", "matchLabels"));
            for (Map<String, Object> port : Repo.<List<Map<String, Object>>>at(service, "spec", "ports")) {
                assertThat(ports(container(role))).containsKey((String) port.get("targetPort"));
            }
        }
    }

    @Test
    void probesUseTheActuatorGroupsOnANamedPort() {
        for (String role : List.of("gatherer", "web")) {
            Map<String, Object> c = container(role);
            assertThat(Repo.<String>at(c, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
            assertThat(Repo.<String>at(c, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
            assertThat(ports(c)).containsKey(Repo.at(c, "readinessProbe", "httpGet", "port"))
                    .containsKey(Repo.at(c, "livenessProbe", "httpGet", "port"));
        }
        // The groups exist only when enabled outside Kubernetes too (SplitRolesTest calls them).
        assertThat(Repo.read("web/src/main/resources/application.properties"))
                .contains("management.endpoint.health.probes.enabled=true");
    }

    @Test
    void environmentIsWhatTheApplicationsRead() {
        Set<String> known = AppSettings.allEnvNames();
        Map<String, Object> configMap = Repo.at(release.named("ConfigMap", "r1-plumb"), "data");
        assertThat(known).as("ConfigMap keys become environment variables").containsAll(configMap.keySet());
        for (Map<String, Object> container : allContainers()) {
            for (Map<String, Object> env : container.getOrDefault("env", List.of()) instanceof List<?> l ? (List<Map<String, Object>>) l : List.<Map<String, Object>>of()) {
                assertThat(known).as("env of %s", container.get("name")).contains((String) env.get("name"));
            }
        }
        assertThat(configMap.get("PLUMB_DB_URL")).isEqualTo("jdbc:postgresql://db.example:5432/plumb");
    }

    @Test
    void secretReferencesNameKeysTheSecretHas() {
        Map<String, Object> secret = release.named("Secret", "r1-plumb");
        Map<String, Object> data = Repo.at(secret, "data");
        assertThat(new String(Base64.getDecoder().decode((String) data.get("db-password")))).isEqualTo("pw");
        assertThat(new String(Base64.getDecoder().decode((String) data.get("agent-token")))).isEqualTo("tok");
        int refs = 0;
        for (Map<String, Object> container : allContainers()) {
            for (Object e : (List<?>) container.getOrDefault("env", List.of())) {
                Map<String, Object> ref = ((Map<String, Map<String, Map<String, Object>>>) e).getOrDefault("valueFrom", Map.of()).get("secretKeyRef");
                if (ref != null) {
                    refs++;
                    assertThat(ref.get("name")).isEqualTo("r1-plumb");
                    assertThat(data).containsKey((String) ref.get("key"));
                }
            }
            for (Object from : (List<?>) container.getOrDefault("envFrom", List.of())) {
                assertThat(Repo.<String>at(from, "configMapRef", "name")).isEqualTo("r1-plumb");
            }
        }
        assertThat(refs).as("secretKeyRefs: db password for both roles, token for the gatherer").isEqualTo(3);
    }

    @Test
    void anExistingSecretReplacesTheChartsOwn() {
        HelmChart.Release own = HelmChart.render("r1", Map.of("database", Map.of("url", "jdbc:postgresql://db/plumb"),
                "secret", Map.of("create", false, "existingSecret", "plumb-creds")));
        assertThat(own.ofKind("Secret")).isEmpty();
        assertThat(Repo.<String>at(containerOf(own, "web"), "env", "0", "valueFrom", "secretKeyRef", "name")).isEqualTo("plumb-creds");
    }

    @Test
    void everyContainerHasRequestsAndLimits() {
        for (Map<String, Object> container : allContainers()) {
            if (!"install".equals(container.get("name"))) {
                assertThat(Repo.<Map<String, Object>>at(container, "resources")).as("resources of %s", container.get("name"))
                        .containsKeys("requests", "limits");
            }
        }
    }

    @Test
    void theAgentDaemonSetInstallsTheBundleOnTheNode() {
        Map<String, Object> ds = release.named("DaemonSet", "r1-plumb-agent");
        Map<String, Object> pod = Repo.at(ds, "spec", "template", "spec");
        assertThat(pod).containsEntry("hostPID", false);
        assertThat(Repo.<String>at(pod, "volumes", "0", "hostPath", "path")).isEqualTo("/var/lib/plumb");
        Map<String, Object> install = Repo.at(pod, "initContainers", "0");
        assertThat(Repo.<List<String>>at(install, "command")).containsExactly("install-agent", "/host-plumb");
        assertThat(Repo.<String>at(install, "volumeMounts", "0", "mountPath")).isEqualTo("/host-plumb");
        assertThat(HelmChart.render("r1", merged(Map.of("agent", Map.of("enabled", false)))).ofKind("DaemonSet")).isEmpty();
    }

    @Test
    void ingressIsOptionalAndRoutesToTheWebService() {
        HelmChart.Release withIngress = HelmChart.render("r1", merged(Map.of("web", Map.of("ingress",
                Map.of("enabled", true, "className", "nginx", "host", "plumb.test")))));
        Map<String, Object> ingress = withIngress.named("Ingress", "r1-plumb-web");
        assertThat(Repo.<String>at(ingress, "spec", "ingressClassName")).isEqualTo("nginx");
        Map<String, Object> backend = Repo.at(ingress, "spec", "rules", "0", "http", "paths", "0", "backend", "service");
        assertThat(backend).containsEntry("name", "r1-plumb-web").containsEntry("port", Map.of("name", "http"));
        assertThat(withIngress.notes()).contains("http://plumb.test/");
    }

    @Test
    void notesTellAgentsWhereTheGathererIs() {
        assertThat(release.notes()).contains("r1-plumb-gatherer.plumb:7070", "/plumb/current/bin/plumb\", \"run\"",
                "kubectl port-forward svc/r1-plumb-web");
    }

    private static Map<String, Object> merged(Map<String, Object> extra) {
        Map<String, Object> all = new java.util.HashMap<>(REQUIRED);
        all.putAll(extra);
        return all;
    }

    private static Map<String, Object> deployment(String role) {
        return release.named("Deployment", "r1-plumb-" + role);
    }

    private static Map<String, Object> container(String role) {
        return containerOf(release, role);
    }

    private static Map<String, Object> containerOf(HelmChart.Release r, String role) {
        return Repo.at(r.named("Deployment", "r1-plumb-" + role), "spec", "template", "spec", "containers", "0");
    }

    private static Map<String, Integer> ports(Map<String, Object> container) {
        Map<String, Integer> ports = new java.util.LinkedHashMap<>();
        for (Map<String, Object> p : Repo.<List<Map<String, Object>>>at(container, "ports")) {
            ports.put((String) p.get("name"), (Integer) p.get("containerPort"));
        }
        return ports;
    }

    private static List<Map<String, Object>> allContainers() {
        List<Map<String, Object>> all = new ArrayList<>();
        for (String kind : List.of("Deployment", "DaemonSet")) {
            for (Map<String, Object> workload : release.ofKind(kind)) {
                Map<String, Object> pod = Repo.at(workload, "spec", "template", "spec");
                all.addAll((List<Map<String, Object>>) pod.get("containers"));
                all.addAll((List<Map<String, Object>>) pod.getOrDefault("initContainers", List.of()));
            }
        }
        return all;
    }
}

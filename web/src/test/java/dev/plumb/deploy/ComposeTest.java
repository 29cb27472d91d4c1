package dev.plumb.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** docker-compose.yml checked against the Dockerfile and what the applications read. */
class ComposeTest {
    static final Map<String, Object> compose = Repo.yaml(Repo.read("docker-compose.yml"));
    static final Map<String, Map<String, Object>> services = Repo.at(compose, "services");
    static final Set<String> ours = Set.of("gatherer", "web", "leaky-demo");

    @Test
    void servicesAreTheTeamSetup() {
        assertThat(services).containsOnlyKeys("postgres", "gatherer", "web", "leaky-demo");
    }

    @Test
    void imagesAreBuiltFromDockerfileTargetsOrOfficial() {
        var stages = DockerfileStages.parse(Repo.read("Dockerfile"));
        services.forEach((name, service) -> {
            String image = (String) service.get("image");
            if (service.containsKey("build")) {
                String target = Repo.at(service, "build", "target");
                assertThat(stages).as("Dockerfile target of %s", name).containsKey(target);
                assertThat(image).as("image of %s", name).isEqualTo("plumb/" + target + ":dev");
            } else {
                assertThat(image).as("image of %s", name).isIn(PublicImages.ALLOWED);
            }
        });
    }

    @Test
    void postgresKeepsItsDataInAVolumeAndReportsHealth() {
        Map<String, Object> postgres = services.get("postgres");
        List<String> volumes = Repo.at(postgres, "volumes");
        assertThat(volumes).contains("pgdata:/var/lib/postgresql/data");
        assertThat(Repo.<Map<String, Object>>at(compose, "volumes")).containsKey("pgdata");
        assertThat(Repo.<List<String>>at(postgres, "healthcheck", "test")).contains("pg_isready -U plumb -d plumb");
    }

    @Test
    void servicesWaitForHealthyDependenciesThatHaveHealthchecks() {
        assertThat(condition("gatherer", "postgres")).isEqualTo("service_healthy");
        assertThat(condition("web", "postgres")).isEqualTo("service_healthy");
        assertThat(condition("leaky-demo", "gatherer")).isEqualTo("service_healthy");
        services.forEach((name, service) -> {
            Map<String, Map<String, Object>> dependsOn = (Map<String, Map<String, Object>>) service.getOrDefault("depends_on", Map.of());
            dependsOn.forEach((dependency, how) -> assertThat(services.get(dependency))
                    .as("%s waits for %s to be healthy, so %s needs a healthcheck", name, dependency, dependency)
                    .containsKey("healthcheck"));
        });
    }

    @Test
    void healthchecksProbeTheActuatorOnEachRolesPort() {
        assertThat(Repo.<List<String>>at(services.get("gatherer"), "healthcheck", "test")).contains(
                "http://localhost:" + AppSettings.defaultPort("gatherer", "--http-port") + "/actuator/health/readiness");
        assertThat(Repo.<List<String>>at(services.get("web"), "healthcheck", "test")).contains(
                "http://localhost:" + AppSettings.defaultPort("web", "--web-port") + "/actuator/health/readiness");
    }

    @Test
    void publishedPortsAreTheOnesTheRolesListenOn() {
        int agents = AppSettings.defaultPort("gatherer", "--gatherer-port");
        int web = AppSettings.defaultPort("web", "--web-port");
        assertThat(Repo.<List<String>>at(services.get("gatherer"), "ports")).containsExactly(agents + ":" + agents);
        assertThat(Repo.<List<String>>at(services.get("web"), "ports")).containsExactly(web + ":" + web);
    }

    @Test
    void ourServicesSetOnlyVariablesTheApplicationsRead() {
        Set<String> known = AppSettings.allEnvNames();
        for (String name : ours) {
            environment(name).keySet().forEach(env -> assertThat(known).as("%s sets %s; the applications read", name, env).contains(env));
        }
    }

    @Test
    void rolesReachTheDatabaseThePostgresServiceCreates() {
        Map<String, Object> postgres = environment("postgres");
        for (String role : List.of("gatherer", "web")) {
            Map<String, Object> env = environment(role);
            assertThat(env.get("PLUMB_DB_URL")).isEqualTo("jdbc:postgresql://postgres:5432/" + postgres.get("POSTGRES_DB"));
            assertThat(env.get("PLUMB_DB_USER")).isEqualTo(postgres.get("POSTGRES_USER"));
            assertThat(env.get("PLUMB_DB_PASSWORD")).isEqualTo(postgres.get("POSTGRES_PASSWORD"));
        }
    }

    @Test
    void theExampleStreamsToTheGathererWithItsToken() {
        List<String> command = Repo.at(services.get("leaky-demo"), "command");
        assertThat(command.subList(0, 1)).containsExactly("run");
        assertThat(command.get(command.indexOf("--gatherer") + 1))
                .isEqualTo("gatherer:" + AppSettings.defaultPort("gatherer", "--gatherer-port"));
        assertThat(command.subList(command.indexOf("--") + 1, command.size()))
                .startsWith("/opt/plumb/leaky", "--requests");
        assertThat(environment("leaky-demo").get("PLUMB_TOKEN")).isEqualTo(environment("gatherer").get("PLUMB_TOKEN"));
    }

    private static Object condition(String service, String dependency) {
        return Repo.at(services.get(service), "depends_on", dependency, "condition");
    }

    private static Map<String, Object> environment(String service) {
        return Repo.at(services.get(service), "environment");
    }
}

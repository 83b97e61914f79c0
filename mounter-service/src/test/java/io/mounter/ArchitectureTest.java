package io.mounter;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.mounter.linux.Syscalls;
import org.junit.jupiter.api.Test;

/**
 * The package structure the README's layout table describes, kept by the build: who may
 * depend on whom, and that only the mount executor reaches the host's mount namespace.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mounter");

    @Test
    void noPackageCycles() {
        slices().matching("io.mounter.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void theLayersDependOnlyDownwards() {
        layeredArchitecture().consideringOnlyDependenciesInAnyPackage("io.mounter..")
                .layer("wiring").definedBy("io.mounter.daemon..")
                .layer("doors").definedBy("io.mounter.door..")
                .layer("request path").definedBy("io.mounter.request..")
                .layer("table").definedBy("io.mounter.table..")
                .layer("recovery").definedBy("io.mounter.recovery..")
                .layer("executor").definedBy("io.mounter.executor..")
                .layer("observability").definedBy("io.mounter.observability..")
                .layer("policy").definedBy("io.mounter.policy..")
                .layer("protocol").definedBy("io.mounter.protocol..")
                .layer("syscalls").definedBy("io.mounter.linux..")
                .layer("clients").definedBy("io.mounter.cli..", "io.mounter.client..")
                .whereLayer("wiring").mayNotBeAccessedByAnyLayer()
                .whereLayer("clients").mayNotBeAccessedByAnyLayer()
                .whereLayer("doors").mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("request path").mayOnlyBeAccessedByLayers("wiring", "doors")
                .whereLayer("table").mayOnlyBeAccessedByLayers("wiring", "request path", "recovery")
                .whereLayer("recovery").mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("executor").mayOnlyBeAccessedByLayers("wiring", "request path", "table", "recovery")
                .whereLayer("observability").mayOnlyBeAccessedByLayers("wiring", "doors", "request path", "table",
                        "clients")
                .check(MAIN);
    }

    @Test
    void onlyTheSyscallLayerTouchesJnr() {
        noClasses().that().resideOutsideOfPackage("io.mounter.linux..")
                .should().dependOnClassesThat().resideInAPackage("jnr..")
                .because("errno becomes an exception in one place")
                .check(MAIN);
    }

    @Test
    void onlyTheExecutorEntersAnotherMountNamespace() {
        noClasses().that().resideOutsideOfPackages("io.mounter.executor..", "io.mounter.linux..")
                .should().callMethod(Syscalls.class, "setns", int.class, int.class)
                .orShould().callMethod(Syscalls.class, "unshare", int.class)
                .orShould().callMethod(Syscalls.class, "seccompThread", byte[].class)
                .because("a thread in the host's namespace must run nothing but HostCommands")
                .check(MAIN);
    }

    @Test
    void thePinnedThreadsAreTheExecutorsOwn() {
        noClasses().that().resideOutsideOfPackage("io.mounter.executor..")
                .should().dependOnClassesThat().haveSimpleName("PinnedThread")
                .orShould().dependOnClassesThat().haveSimpleName("NamespacePinning")
                .orShould().dependOnClassesThat().haveSimpleName("HostOperations")
                .check(MAIN);
    }

    @Test
    void onlyTheTransportsEncodeOrDecodeMessages() {
        String codec = "io.mounter.protocol.MessageCodec";
        noClasses().that().resideOutsideOfPackages("io.mounter.protocol..", "io.mounter.door..", "io.mounter.client..")
                .should().callMethod(codec, "decodeRequest", byte[].class.getName())
                .orShould().callMethod(codec, "decodeRequest", byte[].class.getName(), "boolean")
                .orShould().callMethod(codec, "encodeReply", "io.mounter.protocol.Reply")
                .orShould().callMethod(codec, "encodeRequest", "io.mounter.protocol.Request")
                .orShould().callMethod(codec, "decodeReply", byte[].class.getName())
                .because("handlers see decoded requests and return replies; the doors turn bytes into both")
                .check(MAIN);
    }
}

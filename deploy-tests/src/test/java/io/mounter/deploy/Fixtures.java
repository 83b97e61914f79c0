package io.mounter.deploy;

/**
 * What every test class reads, read once per test run (ProjectFacts starts mounterd for
 * its --help). A failure is not kept: each test that needs the value reports it itself.
 */
final class Fixtures {

    private static RepositoryFiles repository;
    private static ProjectFacts facts;

    private Fixtures() {
    }

    static synchronized RepositoryFiles repository() {
        if (repository == null) {
            repository = RepositoryFiles.ofThisBuild();
        }
        return repository;
    }

    static synchronized ProjectFacts facts() {
        if (facts == null) {
            facts = ProjectFacts.load(repository());
        }
        return facts;
    }
}

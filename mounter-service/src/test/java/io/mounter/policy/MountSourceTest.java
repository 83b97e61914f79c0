package io.mounter.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MountSourceTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "https://user:hunter2@dav.example/dir | https://user:<masked>@dav.example/dir",
        "//user:hunter2@server/share         | //user:<masked>@server/share",
        "//bob:pa@ss:word@srv/share           | //bob:<masked>@srv/share",
        "user:hunter2@host:/export           | user:<masked>@host:/export",
        "127.0.0.2:/v1                        | 127.0.0.2:/v1",
        "u@h:/d                               | u@h:/d",
        "https://dav.example:8443/a@b         | https://dav.example:8443/a@b",
        "bindfs#/srv/data                     | bindfs#/srv/data",
        "remote:bucket/path                   | remote:bucket/path",
    })
    void masksOnlyThePasswordOfAUserInfoPart(String source, String logged) {
        assertEquals(logged, MountSource.mask(source));
    }
}

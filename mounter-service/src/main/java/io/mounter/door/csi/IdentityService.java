package io.mounter.door.csi;

import com.google.protobuf.BoolValue;
import io.grpc.stub.StreamObserver;
import io.mounter.Version;
import io.mounter.csi.proto.GetPluginCapabilitiesRequest;
import io.mounter.csi.proto.GetPluginCapabilitiesResponse;
import io.mounter.csi.proto.GetPluginInfoRequest;
import io.mounter.csi.proto.GetPluginInfoResponse;
import io.mounter.csi.proto.IdentityGrpc;
import io.mounter.csi.proto.ProbeRequest;
import io.mounter.csi.proto.ProbeResponse;
import java.util.function.BooleanSupplier;

/** CSI Identity: the driver's name and version, no plugin capabilities (node only), and readiness. */
final class IdentityService extends IdentityGrpc.IdentityImplBase {
    private final String driverName;
    private final BooleanSupplier ready;

    IdentityService(String driverName, BooleanSupplier ready) {
        this.driverName = driverName;
        this.ready = ready;
    }

    @Override
    public void getPluginInfo(GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> reply) {
        reply.onNext(GetPluginInfoResponse.newBuilder().setName(driverName).setVendorVersion(Version.current()).build());
        reply.onCompleted();
    }

    /** None: no controller service (nothing to provision or attach), no topology, no expansion. */
    @Override
    public void getPluginCapabilities(GetPluginCapabilitiesRequest request,
                                      StreamObserver<GetPluginCapabilitiesResponse> reply) {
        reply.onNext(GetPluginCapabilitiesResponse.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void probe(ProbeRequest request, StreamObserver<ProbeResponse> reply) {
        reply.onNext(ProbeResponse.newBuilder().setReady(BoolValue.of(ready.getAsBoolean())).build());
        reply.onCompleted();
    }
}

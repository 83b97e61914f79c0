package io.mounter.door.csi;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.mounter.csi.proto.NodeGetCapabilitiesRequest;
import io.mounter.csi.proto.NodeGetCapabilitiesResponse;
import io.mounter.csi.proto.NodeGetInfoRequest;
import io.mounter.csi.proto.NodeGetInfoResponse;
import io.mounter.csi.proto.NodeGetVolumeStatsRequest;
import io.mounter.csi.proto.NodeGetVolumeStatsResponse;
import io.mounter.csi.proto.NodeGrpc;
import io.mounter.csi.proto.NodePublishVolumeRequest;
import io.mounter.csi.proto.NodePublishVolumeResponse;
import io.mounter.csi.proto.NodeServiceCapability;
import io.mounter.csi.proto.NodeStageVolumeRequest;
import io.mounter.csi.proto.NodeStageVolumeResponse;
import io.mounter.csi.proto.NodeUnpublishVolumeRequest;
import io.mounter.csi.proto.NodeUnpublishVolumeResponse;
import io.mounter.csi.proto.NodeUnstageVolumeRequest;
import io.mounter.csi.proto.NodeUnstageVolumeResponse;
import io.mounter.csi.proto.VolumeCapability;
import io.mounter.csi.proto.VolumeCondition;
import io.mounter.csi.proto.VolumeUsage;
import io.mounter.linux.Errno;
import io.mounter.linux.FsStats;
import io.mounter.linux.SyscallException;
import io.mounter.policy.CredentialMask;
import io.mounter.policy.Refusal;
import io.mounter.request.volume.VolumeError;
import io.mounter.request.volume.VolumeOperations;
import io.mounter.request.volume.VolumeSpec;
import io.mounter.request.volume.VolumeStats;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CSI Node: translates each call to {@link VolumeOperations} and its outcome to the spec's
 * gRPC codes. Logs one line per call: the operation, volume, paths and result, never the
 * volume context's options or the secrets.
 */
final class NodeService extends NodeGrpc.NodeImplBase {
    private static final Logger log = LoggerFactory.getLogger(NodeService.class);
    private static final List<NodeServiceCapability.RPC.Type> CAPABILITIES = List.of(
            NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME, NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
            NodeServiceCapability.RPC.Type.VOLUME_CONDITION);

    private final VolumeOperations volumes;
    private final String nodeId;

    NodeService(VolumeOperations volumes, String nodeId) {
        this.volumes = volumes;
        this.nodeId = nodeId;
    }

    @Override
    public void nodeStageVolume(NodeStageVolumeRequest request, StreamObserver<NodeStageVolumeResponse> reply) {
        answer("NodeStageVolume", request.getVolumeId(), request.getStagingTargetPath(), reply, () -> {
            List<String> mountFlags = mountFlags(request.hasVolumeCapability(), request.getVolumeCapability());
            volumes.stage(request.getVolumeId(), request.getStagingTargetPath(),
                    VolumeSpec.of(request.getVolumeContextMap(), mountFlags, request.getSecretsMap()));
            return NodeStageVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeUnstageVolume(NodeUnstageVolumeRequest request, StreamObserver<NodeUnstageVolumeResponse> reply) {
        answer("NodeUnstageVolume", request.getVolumeId(), request.getStagingTargetPath(), reply, () -> {
            volumes.unstage(request.getVolumeId(), request.getStagingTargetPath());
            return NodeUnstageVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodePublishVolume(NodePublishVolumeRequest request, StreamObserver<NodePublishVolumeResponse> reply) {
        answer("NodePublishVolume", request.getVolumeId(), request.getTargetPath(), reply, () -> {
            List<String> mountFlags = mountFlags(request.hasVolumeCapability(), request.getVolumeCapability());
            VolumeSpec inline = VolumeSpec.isEphemeral(request.getVolumeContextMap())
                    ? VolumeSpec.of(request.getVolumeContextMap(), mountFlags, request.getSecretsMap()) : null;
            volumes.publish(request.getVolumeId(), request.getStagingTargetPath(), request.getTargetPath(),
                    request.getReadonly(), inline);
            return NodePublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeUnpublishVolume(NodeUnpublishVolumeRequest request,
                                    StreamObserver<NodeUnpublishVolumeResponse> reply) {
        answer("NodeUnpublishVolume", request.getVolumeId(), request.getTargetPath(), reply, () -> {
            volumes.unpublish(request.getVolumeId(), request.getTargetPath());
            return NodeUnpublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeGetVolumeStats(NodeGetVolumeStatsRequest request,
                                   StreamObserver<NodeGetVolumeStatsResponse> reply) {
        answer("NodeGetVolumeStats", request.getVolumeId(), request.getVolumePath(), reply,
                () -> statsReply(volumes.stats(request.getVolumeId(), request.getVolumePath())));
    }

    @Override
    public void nodeGetCapabilities(NodeGetCapabilitiesRequest request,
                                    StreamObserver<NodeGetCapabilitiesResponse> reply) {
        NodeGetCapabilitiesResponse.Builder capabilities = NodeGetCapabilitiesResponse.newBuilder();
        CAPABILITIES.forEach(type -> capabilities.addCapabilities(NodeServiceCapability.newBuilder()
                .setRpc(NodeServiceCapability.RPC.newBuilder().setType(type))));
        reply.onNext(capabilities.build());
        reply.onCompleted();
    }

    @Override
    public void nodeGetInfo(NodeGetInfoRequest request, StreamObserver<NodeGetInfoResponse> reply) {
        reply.onNext(NodeGetInfoResponse.newBuilder().setNodeId(nodeId).build());
        reply.onCompleted();
    }

    /**
     * The capability's mount flags. A capability is required; block access is one this
     * driver does not have (the spec's "Exceeds capabilities": FAILED_PRECONDITION).
     */
    private static List<String> mountFlags(boolean present, VolumeCapability capability) {
        if (!present) {
            throw new VolumeError(VolumeError.Kind.INVALID_ARGUMENT, "volume_capability is missing");
        }
        if (capability.hasBlock()) {
            throw new VolumeError(VolumeError.Kind.FAILED_PRECONDITION,
                    "block access is not supported: this driver mounts filesystems only");
        }
        return capability.getMount().getMountFlagsList();
    }

    private static NodeGetVolumeStatsResponse statsReply(VolumeStats stats) {
        NodeGetVolumeStatsResponse.Builder reply = NodeGetVolumeStatsResponse.newBuilder();
        if (stats.abnormal()) {
            return reply.setVolumeCondition(VolumeCondition.newBuilder().setAbnormal(true)
                    .setMessage(stats.abnormalReason())).build();
        }
        FsStats usage = stats.usage();
        return reply.addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES).setTotal(usage.totalBytes())
                        .setAvailable(usage.availableBytes()).setUsed(usage.usedBytes()))
                .addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.INODES).setTotal(usage.inodes())
                        .setAvailable(usage.freeInodes()).setUsed(usage.usedInodes()))
                .setVolumeCondition(VolumeCondition.newBuilder().setAbnormal(false).setMessage("serving"))
                .build();
    }

    /** Runs one call, answers it, and logs it; every failure becomes the code the spec names. */
    private static <T> void answer(String op, String volumeId, String path, StreamObserver<T> reply, Supplier<T> call) {
        long start = System.nanoTime();
        Status status;
        try {
            T result = call.get();
            reply.onNext(result);
            reply.onCompleted();
            status = Status.OK;
        } catch (RuntimeException e) {
            status = statusOf(e);
            reply.onError(status.asRuntimeException());
        }
        var line = status.isOk() ? log.atInfo() : log.atWarn();
        line.setMessage("csi").addKeyValue("op", op).addKeyValue("volume_id", volumeId).addKeyValue("path", path)
                .addKeyValue("result", status.getCode().name())
                .addKeyValue("duration_ms", (System.nanoTime() - start) / 1_000_000);
        if (!status.isOk()) {
            line.addKeyValue("reason", status.getDescription());
        }
        line.log();
    }

    static Status statusOf(RuntimeException e) {
        if (e instanceof VolumeError error) {
            Status code = switch (error.kind()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case ABORTED -> Status.ABORTED;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case INTERNAL -> Status.INTERNAL;
            };
            return code.withDescription(error.getMessage());
        }
        if (e instanceof Refusal refusal) {
            Status code = refusal.errno() == Errno.EAGAIN ? Status.UNAVAILABLE
                    : refusal.errno() == Errno.EINVAL ? Status.INVALID_ARGUMENT
                    : refusal.errno() == Errno.EBUSY ? Status.ALREADY_EXISTS : Status.PERMISSION_DENIED;
            return code.withDescription(refusal.getMessage());
        }
        if (e instanceof SyscallException syscall) {
            return Status.INTERNAL.withDescription(CredentialMask.text(syscall.getMessage()));
        }
        log.error("csi call failed", e);
        return Status.INTERNAL.withDescription("internal error (mounterd's log has it): " + e.getClass().getSimpleName());
    }
}

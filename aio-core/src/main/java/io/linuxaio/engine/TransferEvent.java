package io.linuxaio.engine;

import jdk.jfr.DataAmount;
import jdk.jfr.Label;

/**
 * The fields a read and a write record alike: where, how much was asked, how much moved. Made on the
 * requesting thread, committed on the completing one (see {@link RequestEvent}).
 */
abstract class TransferEvent extends RequestEvent {

    @Label("Position")
    long position;

    @Label("Bytes Requested")
    @DataAmount
    long bytesRequested;

    @Label("Bytes Transferred")
    @DataAmount
    long bytesTransferred;
}

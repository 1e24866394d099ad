/** One HEAD of a key that need not exist: proof the bucket is reachable. */
export async function pingBucket(bucket: R2Bucket): Promise<void> {
	await bucket.head("health-probe");
}


$patches = 'KB5001', 'KB5002', 'KB5003'
$i = 0
foreach ($kb in $patches) {
    $i++
    Write-Progress -Activity "Installing updates" -Status "Installing $kb" -PercentComplete ($i * 100 / $patches.Count) -Id 1
    if ($kb -eq 'KB5002') {
        Write-Warning "$kb requires a reboot"
    }
    if ($kb -like '*3') {
        Write-Error "Failed to install $kb" -ErrorId PatchFailed -Category InvalidResult -TargetObject $kb
        continue
    }
    Write-Output "$kb installed"
}
Write-Progress -Activity "Installing updates" -Completed -Id 1
"done: $i"
